"""The forward check before training: layer widths that do not fit name the config key of the layer
(not a traceback at the first batch), and the check changes nothing a run computes."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
from tritorch.cli import main
from tritorch.train import ConfigError, Trainer
from tritorch.train.probe import check_forward

from ._util import REPO, digits


def _error(cfg, tmp_path):
    with pytest.raises(ConfigError) as e:
        Trainer(cfg, run_dir=str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()
    return str(e.value)


def test_mismatched_widths_name_the_layer(tmp_path):
    cfg = digits()
    cfg["model"]["layers"][0]["out_features"] = 128
    cfg["model"]["layers"][3]["in_features"] = 256
    msg = _error(cfg, tmp_path)
    assert msg.startswith("model.layers[3]: Linear(in_features=256) got input of shape (2, 128);"), msg
    assert "\n" not in msg


def test_a_nested_layer_and_a_layer_inside_a_model_class(tmp_path):
    cfg = digits()
    cfg["model"]["layers"][2] = {"type": "Sequential", "layers": [{"type": "Linear", "in_features": 16,
                                                                   "out_features": 32}]}
    msg = _error(cfg, tmp_path)
    assert msg.startswith("model.layers[2].layers[0]: Linear(in_features=16) got input of shape (2, 32);"), msg
    cfg = digits()
    cfg["model"] = {"type": "MLP", "in_features": 48, "hidden_sizes": [16]}   # digits have 64 features
    msg = _error(cfg, tmp_path)
    assert msg.startswith("model: Linear(in_features=48) (net.0 inside MLP) got input of shape (2, 64);"), msg


def test_a_loss_that_does_not_fit_the_output_names_the_loss(tmp_path):
    cfg = digits()
    cfg["loss"] = {"type": "BCEWithLogitsLoss"}
    msg = _error(cfg, tmp_path)
    assert msg.startswith("loss: BCEWithLogitsLoss got the model's output of shape (2, 10) and a target of shape "
                          "(2,);"), msg


def test_the_cli_prints_the_key_and_the_override_that_caused_it(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code = main(["train", "configs/digits_mlp.yaml", "model.layers.3.in_features=256", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "model.layers[3]: Linear(in_features=256) got input of shape (2, 128); RuntimeError: " in err
    # the override caused it, so the error points at the override, not at the file's line (issue 19)
    assert err.rstrip().endswith("(override model.layers.3.in_features=256)") and len(err.strip().splitlines()) == 2


def test_the_check_leaves_modes_running_statistics_and_every_rng_as_they_were(rng):
    model = nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.Dropout(0.5), nn.Linear(7, 3))
    data = tritorch.utils.data.TensorDataset(tritorch.tensor(rng.standard_normal((4, 5)).astype(np.float32)),
                                             tritorch.tensor([0, 1, 2, 1]))
    state = tritorch.get_rng_state()
    np_state, mean = np.random.get_state()[1].copy(), model[1].running_mean.clone()
    check_forward(model, nn.CrossEntropyLoss(), data, {id(model): ("model",)}, "cpu")
    assert model.training and all(m.training for m in model.modules())
    assert tritorch.equal(tritorch.get_rng_state(), state) and np.array_equal(np.random.get_state()[1], np_state)
    assert tritorch.equal(model[1].running_mean, mean) and int(model[1].num_batches_tracked) == 0
    assert not model[0]._forward_pre_hooks and not model[0]._forward_hooks     # hooks removed
