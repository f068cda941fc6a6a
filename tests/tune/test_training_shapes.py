"""shapes_from_training: the kernel shapes of one training step, from the example configs."""
import importlib

import numpy as np
import pytest
import yaml

import tritorch
from tritorch._dispatch import backend_for
from tritorch.train import Trainer
from tritorch.train.config import Loader, load_config
from tritorch.train.errors import ConfigError
from tritorch.tune.training_shapes import RECORDERS, recording, shapes_from_training

MLP = "configs/digits_mlp.yaml"
GPT = "configs/char_transformer.yaml"
SMALL_GPT = ["model.num_layers=1", "data.batch_size=2"]


def _yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Loader)


def _mnk(entries):
    return {(s["M"], s["N"], s["K"]) for s in entries}


def test_mlp_gemms_are_the_linear_layers_forward_and_backward():
    cfg = _yaml(MLP)
    b = cfg["data"]["batch_size"]
    linears = [(l["in_features"], l["out_features"]) for l in cfg["model"]["layers"] if l["type"] == "Linear"]
    expected = set()
    for i, (k, n) in enumerate(linears):
        expected.add((b, n, k))        # forward: x (b, in) @ w.T
        expected.add((n, k, b))        # dW = g.T (out, b) @ x (b, in)
        if i > 0:                      # dX = g (b, out) @ w (out, in); the input needs no gradient
            expected.add((b, k, n))
    out = shapes_from_training(MLP)
    assert out["dtype"] == "float32"
    assert _mnk(out["shapes"]["matmul"]) == expected
    assert out["shapes"]["cross_entropy"] == [{"rows": b, "classes": linears[-1][1]}]
    assert "attention" not in out["shapes"] and "layer_norm" not in out["shapes"]
    for entries in out["shapes"].values():
        assert all(type(v) is int for s in entries for v in s.values())


def test_matmul_entries_are_sorted_and_unique():
    entries = shapes_from_training(MLP)["shapes"]["matmul"]
    keys = [(s["M"], s["N"], s["K"]) for s in entries]
    assert keys == sorted(set(keys))
    assert all(list(s) == ["M", "N", "K"] for s in entries)


def test_char_transformer_attention_norm_and_projections():
    cfg = _yaml(GPT)
    d, heads, block = cfg["model"]["d_model"], cfg["model"]["nhead"], cfg["data"]["dataset"]["block_size"]
    rows = 2 * block
    out = shapes_from_training(GPT, overrides=SMALL_GPT)
    s = out["shapes"]
    assert s["attention"] == [{"batch": 2, "heads": heads, "seq_q": block, "seq_k": block, "head_dim": d // heads}]
    assert s["layer_norm"] == [{"rows": rows, "cols": d}]
    vocab = s["cross_entropy"][0]["classes"]
    assert s["cross_entropy"] == [{"rows": rows, "classes": vocab}]
    # forward GEMMs: qkv in-projection, out-projection, feed-forward up and down, vocabulary head
    assert {(rows, 3 * d, d), (rows, d, d), (rows, 4 * d, d), (rows, d, 4 * d), (rows, vocab, d)} <= _mnk(s["matmul"])
    assert (4 * d, d, rows) in _mnk(s["matmul"])  # a weight gradient: K is the batch rows


def test_mixed_precision_reports_the_autocast_dtype_with_the_same_shapes():
    plain = shapes_from_training(GPT, overrides=SMALL_GPT)
    mixed = shapes_from_training(GPT, overrides=[*SMALL_GPT, "trainer.precision=bf16-mixed"])
    assert mixed["dtype"] == "bfloat16"
    assert mixed["shapes"] == plain["shapes"]


def test_a_config_object_takes_overrides_and_is_left_unchanged():
    cfg = load_config(MLP)
    before = repr(cfg.data)
    out = shapes_from_training(cfg, overrides=["data.batch_size=8"])
    assert out["shapes"]["cross_entropy"] == [{"rows": 8, "classes": 10}]
    assert repr(cfg.data) == before


def test_recording_batched_matmul_ignores_the_batch_and_folds_a_2d_right_operand():
    a, b, w = tritorch.randn(3, 4, 5), tritorch.randn(3, 5, 6), tritorch.randn(5, 6)
    backend = backend_for(tritorch.device("cpu"))
    with recording() as seen:
        assert backend.matmul is not _submodule_function("matmul")  # wrapped while recording
        a @ b
        a @ w
        a.softmax(1)
    assert seen["matmul"] == {(4, 6, 5), (12, 6, 5)}
    assert seen["softmax"] == {(15, 4)}


DEFINED_IN = {"linear": "nn", "layer_norm": "norm", "rms_norm": "nn", "cross_entropy": "nn", "matmul": "linalg",
              "softmax": "reduce", "attention": "attention", "attention_backward": "attention",
              "linear_backward": "fused", "cross_entropy_backward": "fused", "cross_entropy_reduced": "fused"}


def _submodule_function(name):
    """The function as its defining file holds it: tritorch._dispatch.cpu.<file>.<name>."""
    return getattr(importlib.import_module(f"tritorch._dispatch.cpu.{DEFINED_IN[name]}"), name)


def _originals():
    backend = backend_for(tritorch.device("cpu"))
    return {name: getattr(backend, name) for name in RECORDERS}


def test_backend_functions_are_restored():
    before = _originals()
    shapes_from_training(MLP)
    after = _originals()
    assert all(after[n] is f for n, f in before.items())
    assert all(after[n] is _submodule_function(n) for n in after)


def test_backend_functions_are_restored_when_the_step_raises():
    before = _originals()
    # the model's context is shorter than the data's windows: CharGPT.forward raises inside the recording
    with pytest.raises(ValueError, match="longer than block_size=8"):
        shapes_from_training(GPT, overrides=[*SMALL_GPT, "model.block_size=8"])
    assert all(_originals()[n] is f for n, f in before.items())


def test_global_rng_states_are_given_back():
    np.random.seed(1234)
    tritorch.manual_seed(99)
    expected_np, expected_tt = np.random.random(), tritorch.rand(3).tolist()
    np.random.seed(1234)
    tritorch.manual_seed(99)
    shapes_from_training(MLP)
    assert np.random.random() == expected_np
    assert tritorch.rand(3).tolist() == expected_tt


@pytest.mark.parametrize("path, overrides", [("no/such/config.yaml", []),
                                             (MLP, ["model.layers.0.out_feature=3"]),
                                             (MLP, ["trainer.precision=64"])])
def test_errors_are_the_trainers(path, overrides):
    with pytest.raises(ConfigError) as theirs:
        Trainer(path, overrides=overrides, progress=False)
    with pytest.raises(ConfigError) as ours:
        shapes_from_training(path, overrides=overrides)
    assert str(ours.value) == str(theirs.value)
