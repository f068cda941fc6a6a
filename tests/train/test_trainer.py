"""Trainer features, in-process: NaN stop, gradient accumulation, warm-up, early stopping, mixed
precision, run directories, metric logs, best checkpoints and atomic checkpoint writes."""
import csv
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
from tritorch.train import Trainer, register
from tritorch.train.checkpoint import load_checkpoint

from ._util import REPO, digits, weights


@register("module")
class NanAfter(nn.Module):
    """A linear classifier whose output turns to NaN from the `at`-th training forward on."""

    def __init__(self, at):
        super().__init__()
        self.fc, self.at, self.calls = nn.Linear(64, 10), at, 0

    def forward(self, x):
        if self.training:
            self.calls += 1
        out = self.fc(x)
        return out * float("nan") if self.training and self.calls >= self.at else out


def _fit(tmp_path, cfg, overrides=(), name="run"):
    trainer = Trainer(cfg, overrides=list(overrides), run_dir=str(tmp_path / name), echo=lambda *a: None)
    return trainer, trainer.fit()


def test_nan_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    cfg = digits(checkpoint_every=3)
    cfg["model"] = {"type": "NanAfter", "at": 8}
    trainer, summary = _fit(tmp_path, cfg)
    assert summary["status"] == "nan" and summary["step"] == 7
    out = capsys.readouterr().out
    assert "the loss is nan at step 8" in out and "last good checkpoint" in out and "(step 6)" in out
    state = load_checkpoint(str(tmp_path / "run"), "last")
    assert state["trainer"]["step"] == 6
    assert all(np.isfinite(v.numpy()).all() for v in state["model"].values())


def test_gradient_accumulation_matches_one_big_batch(tmp_path):
    results = []
    for batch, accum in ((32, 1), (16, 2)):
        cfg = digits(max_steps=1, accumulate_grad_batches=accum)
        cfg["data"]["batch_size"] = batch
        cfg["model"]["layers"][2] = {"type": "Identity"}  # no dropout: the two runs see the same function
        cfg["optimizer"] = {"type": "SGD", "lr": 0.5}
        _, summary = _fit(tmp_path, cfg, name=f"b{batch}")
        results.append(weights(os.path.join(summary["run_dir"], "checkpoints", "last.safetensors")))
    for k in results[0]:
        np.testing.assert_allclose(results[0][k], results[1][k], rtol=1e-5, atol=1e-6)
    start = Trainer(digits(), echo=lambda *a: None).model.state_dict()
    assert not np.allclose(start["0.weight"].numpy(), results[0]["0.weight"])  # a step was taken


def test_warmup_then_main_scheduler_and_logged_lr(tmp_path):
    cfg = digits(max_steps=7, log_every=1)
    cfg["optimizer"] = {"type": "SGD", "lr": 0.1}
    cfg["scheduler"] = {"type": "StepLR", "step_size": 2, "gamma": 0.5, "warmup_steps": 4, "warmup_start_factor": 0.1}
    _, summary = _fit(tmp_path, cfg)
    rows = [json.loads(l) for l in open(os.path.join(summary["run_dir"], "metrics.jsonl"))]
    lrs = [r["lr"] for r in rows if "lr" in r]
    # LinearLR 0.1 -> 1 over 4 steps, then StepLR from its own start: 0.1, 0.1, 0.05
    np.testing.assert_allclose(lrs, [0.01, 0.0325, 0.055, 0.0775, 0.1, 0.1, 0.05], rtol=1e-6)


def test_early_stopping_on_a_metric_that_stops_improving(tmp_path):
    cfg = digits(max_steps=50, eval_every=1, early_stopping={"monitor": "val/loss", "patience": 2})
    cfg["optimizer"] = {"type": "SGD", "lr": 0.0}  # nothing changes: no evaluation improves on the first
    cfg["model"]["layers"][2] = {"type": "Identity"}
    _, summary = _fit(tmp_path, cfg)
    assert summary["status"] == "early_stopped" and summary["step"] == 3


@pytest.mark.parametrize("precision", ["bf16-mixed", "16-mixed"])
def test_mixed_precision_trains_with_float32_master_weights(tmp_path, precision):
    cfg = digits(max_steps=60, eval_every=60, precision=precision)
    trainer = Trainer(cfg, run_dir=str(tmp_path / "run"), echo=lambda *a: None)
    seen = set()
    trainer.model[0].register_forward_hook(lambda mod, args, out: seen.add((mod.training, out.dtype)))
    summary = trainer.fit()
    assert summary["status"] == "completed" and summary["val/accuracy"] > 0.85
    low = {"bf16-mixed": tritorch.bfloat16, "16-mixed": tritorch.float16}[precision]
    assert seen == {(True, low), (False, low)}  # autocast ran the Linear layers in low precision
    assert trainer.model[0].weight.dtype is tritorch.float32
    master = weights(os.path.join(summary["run_dir"], "checkpoints", "last.safetensors"))
    assert all(v.dtype == np.float32 for k, v in master.items())
    _, ref = _fit(tmp_path, digits(max_steps=60, eval_every=60), name="fp32")
    assert not np.array_equal(master["0.weight"], weights(os.path.join(ref["run_dir"], "checkpoints",
                                                                        "last.safetensors"))["0.weight"])


def test_run_dir_never_overwritten_and_outputs_written(tmp_path):
    notes = []
    cfg = digits(max_steps=25, eval_every=10, checkpoint_every=20, output_dir=str(tmp_path / "out"))
    first = Trainer(cfg, echo=notes.append).fit()
    second = Trainer(cfg, echo=notes.append).fit()
    assert first["run_dir"] == str(tmp_path / "out") and second["run_dir"] == str(tmp_path / "out-1")
    assert any("already exists; this run writes to" in n and "out-1" in n for n in notes)
    run = first["run_dir"]
    assert sorted(os.listdir(os.path.join(run, "checkpoints"))) == sorted(
        f"{n}.{ext}" for n in ("best", "last", "step_0000020") for ext in ("json", "safetensors"))
    with open(os.path.join(run, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    assert {"step", "epoch", "train/loss", "lr", "val/loss", "val/accuracy"} <= set(rows[0])
    assert [r["step"] for r in rows if r["val/accuracy"]] == ["10", "20", "25"]
    saved = open(os.path.join(run, "config.yaml")).read()
    assert "max_steps: 25" in saved and "precision: '32'" in saved  # resolved, defaults included
    best = load_checkpoint(run, "best")
    assert best["trainer"]["step"] == first["best_step"]
    trainer = Trainer(os.path.join(run, "config.yaml"), echo=lambda *a: None)
    trainer.model.load_state_dict(best["model"])
    assert math.isclose(trainer.evaluate("val")["accuracy"], first["best"], rel_tol=1e-12)


KILL_IN_SAVE = """
import os, signal, sys
real_fsync, calls = os.fsync, [0]
def fsync(fd):
    real_fsync(fd)
    if ".last.safetensors." in os.readlink(f"/proc/self/fd/{fd}"):
        calls[0] += 1
        if calls[0] == 3:   # the third write of checkpoints/last: temp file written, not yet renamed
            os.kill(os.getpid(), signal.SIGKILL)
os.fsync = fsync
from tritorch.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to name the file being synced")
def test_a_crash_while_saving_leaves_the_previous_checkpoint_loadable(tmp_path):
    run = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, "-c", KILL_IN_SAVE, "train", "configs/digits_mlp.yaml",
                          "trainer.max_steps=40", "trainer.eval_every=10", "--output-dir", str(run)], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == -9, out.stderr
    assert any(name.endswith(".tmp") for name in os.listdir(run / "checkpoints"))  # the torn write is aside
    state = load_checkpoint(str(run), "last")  # saves: step 0, step 10, (killed) step 20
    assert state["trainer"]["step"] == 10 and json.load(open(run / "checkpoints" / "last.json"))["step"] == 10
    resumed = subprocess.run([sys.executable, "-m", "tritorch", "train", "--resume", str(run)], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0 and "from step 10" in resumed.stdout, resumed.stderr


def test_checkpoint_whose_header_length_starts_like_a_pickle_still_loads(tmp_path):
    """tritorch.load reads a first byte 0x80 as a pickle; save_checkpoint must never write one."""
    import io
    from tritorch.train.checkpoint import save_checkpoint
    for n in range(300):  # find a state whose plain tritorch.save bytes start with 0x80
        state = {"w": tritorch.ones(3), "note": "x" * n}
        buf = io.BytesIO()
        tritorch.save(state, buf)
        if buf.getvalue()[:1] == b"\x80":
            break
    else:
        pytest.fail("no header length hit 0x80 mod 256")
    save_checkpoint(str(tmp_path), "last", state)
    back = load_checkpoint(str(tmp_path), "last")
    assert back["note"] == state["note"] and back["w"].tolist() == [1.0, 1.0, 1.0]


def test_worker_processes_give_the_same_run(tmp_path):
    _, a = _fit(tmp_path, digits(max_steps=12), name="w0")
    cfg = digits(max_steps=12)
    cfg["data"]["num_workers"] = 2
    _, b = _fit(tmp_path, cfg, name="w2")
    assert a["val/loss"] == b["val/loss"]
    np.testing.assert_array_equal(weights(os.path.join(a["run_dir"], "checkpoints", "last.safetensors"))["0.weight"],
                                  weights(os.path.join(b["run_dir"], "checkpoints", "last.safetensors"))["0.weight"])


def test_progress_bar_only_on_a_terminal():
    import io
    from tritorch.train.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = Progress(total=10, stream=stream, min_interval=0)
        bar.update(5, loss=0.5, lr=1e-3)
        bar.close()
    assert "\r5/10 [############------------]  50%" in tty.getvalue() and "loss 0.5 lr 0.001" in tty.getvalue()
    assert pipe.getvalue() == ""


def test_metrics_accuracy_topk_and_sequences():
    from tritorch.train.metrics import Metrics
    m = Metrics(["loss", "accuracy", "top2", "perplexity"])
    # [B=2, T=2, C=3]
    logits = tritorch.tensor([[[3.0, 2.0, 1.0], [1.0, 3.0, 2.0]], [[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]]])
    target = tritorch.tensor([[0, 2], [1, -100]])                # hits: yes, no (2nd best), no (2nd best), ignored
    m.update(logits, target, loss=0.5)
    out = m.compute()
    assert out["accuracy"] == pytest.approx(1 / 3) and out["top2"] == pytest.approx(1.0)
    assert out["loss"] == 0.5 and out["perplexity"] == pytest.approx(math.exp(0.5))
    reg = Metrics(["loss", "accuracy"])
    reg.update(tritorch.zeros(4, 1), tritorch.ones(4, 1), loss=2.0)
    assert reg.compute() == {"loss": 2.0}  # no accuracy for a regression target


def test_training_on_the_cuda_device_matches_cpu(tmp_path):
    """Under TRITON_INTERPRET=1 (tests/conftest.py) `cuda` is emulated: the same kernels, in Triton's interpreter."""
    if not tritorch.cuda.is_available():
        pytest.skip("no cuda device (real or emulated)")
    runs = {}
    for device in ("cpu", "cuda"):
        cfg = digits(max_steps=2, eval_every=2, limit_eval_batches=1)
        cfg["device"] = device
        cfg["model"]["layers"][2] = {"type": "Identity"}
        trainer, summary = _fit(tmp_path, cfg, name=device)
        assert trainer.model[0].weight.device.type == device and summary["status"] == "completed"
        runs[device] = (summary, weights(os.path.join(summary["run_dir"], "checkpoints", "last.safetensors")))
    for k, v in runs["cpu"][1].items():
        np.testing.assert_allclose(runs["cuda"][1][k], v, rtol=1e-4, atol=1e-5)
    assert runs["cuda"][0]["val/loss"] == pytest.approx(runs["cpu"][0]["val/loss"], rel=1e-4)
