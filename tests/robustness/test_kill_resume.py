"""Kill and resume: SIGKILLs at a random step, right after an epoch-end validation row, and in the middle
of a checkpoint write; each resumed run ends with the uninterrupted run's weights (bitwise) and metrics
rows (each once). Also: metrics.jsonl with a bad line, and stale temp files. No moment is timed: kills
happen at a counted training step or event (kill_hooks.py). The killed runs are real processes; the
reference and the resumes run in this one (fast)."""
import json
import os
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
import yaml

import tritorch
from tritorch.train import checkpoint as ckpt
from tritorch.train.metrics import MetricLog

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# 10 batches per epoch, 24 steps: validation rows at each epoch end (steps 10, 20, 24), checkpoints every
# 5 steps and at each epoch end (so step 10 is checkpointed just BEFORE its validation row is written, and
# again after it); dropout, so the RNG state must come back too.
CONFIG = {
    "seed": 5, "device": "cpu",
    "data": {"dataset": {"type": "Digits", "flatten": True}, "val_fraction": 0.15, "batch_size": 128},
    "model": {"type": "Sequential", "layers": [
        {"type": "Linear", "in_features": 64, "out_features": 16}, {"type": "ReLU"}, {"type": "Dropout", "p": 0.2},
        {"type": "Linear", "in_features": 16, "out_features": 10}]},
    "optimizer": {"type": "AdamW", "lr": 3e-3},
    "scheduler": {"type": "CosineAnnealingLR", "T_max": 24, "warmup_steps": 3},
    "trainer": {"max_steps": 24, "checkpoint_every": 5, "log_every": 1, "limit_eval_batches": 1,
                "progress": False},
    "metrics": ["loss", "accuracy"],
}
STEPS = 24


def _main(*args):
    """`tritorch ARGS` in this process; the exit code."""
    from tritorch.cli import main
    return main([str(a) for a in args])


def _run(*args, **env):
    """`tritorch ARGS` in a fresh process (through kill_hooks.py); CompletedProcess."""
    full = dict(os.environ, PYTHONPATH=REPO, **{k: str(v) for k, v in env.items()})
    full.pop("TRITON_INTERPRET", None)
    return subprocess.run([sys.executable, os.path.join(HERE, "kill_hooks.py"), *map(str, args)], cwd=REPO, env=full,
                          capture_output=True, text=True, timeout=600)  # a hang guard, not a speed limit


def _rows(run):
    """metrics.jsonl rows without the wall-clock column."""
    with open(os.path.join(run, "metrics.jsonl")) as f:
        return [{k: v for k, v in json.loads(line).items() if k != "time"} for line in f]


def _weights(run):
    state = tritorch.load(os.path.join(run, "checkpoints", "last.safetensors"))
    return {k: v.numpy() for k, v in state["model"].items()}


def _assert_same_run(ref, run):
    a, b = _weights(ref), _weights(run)
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), f"{k}: max diff {np.abs(a[k] - b[k]).max()}"
    assert _rows(run) == _rows(ref)
    keys = [(("val" if "val/loss" in r else "train"), r["step"]) for r in _rows(run)]
    assert len(keys) == len(set(keys))  # each (split, step) row once


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "kill.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


@pytest.fixture(scope="module")
def reference(config, tmp_path_factory):
    run = tmp_path_factory.mktemp("ref") / "run"
    assert _main("train", config, "--output-dir", run) == 0
    rows = _rows(run)
    assert [r["step"] for r in rows if "val/loss" in r] == [10, 20, 24]
    assert [r["step"] for r in rows if "train/loss" in r] == list(range(1, STEPS + 1))
    return run


def test_sigkill_at_a_random_step_then_resume_gives_the_uninterrupted_run(config, reference, tmp_path, rng):
    run = tmp_path / "run"
    step = int(rng.integers(1, STEPS + 1))  # the step that never finishes
    out = _run("train", config, "--output-dir", run, KILL_AT_STEP=step)
    assert out.returncode == -signal.SIGKILL, out.stderr
    saved = json.load(open(run / "checkpoints" / "last.json"))["step"]
    assert saved < step and max(r["step"] for r in _rows(run)) == step - 1
    assert _main("train", "--resume", run) == 0
    _assert_same_run(reference, run)


def test_a_kill_right_after_an_epoch_end_validation_row_does_not_duplicate_it(config, reference, tmp_path):
    run = tmp_path / "run"
    out = _run("train", config, "--output-dir", run, KILL_AFTER_ROW="val/loss:1")  # the step-10 row, then SIGKILL
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert [r["step"] for r in _rows(run) if "val/loss" in r] == [10]  # written, but no checkpoint knows it
    assert json.load(open(run / "checkpoints" / "last.json"))["step"] == 10  # saved at step 10, before the row
    assert _main("train", "--resume", run) == 0
    _assert_same_run(reference, run)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to name the file being synced")
def test_a_save_killed_mid_write_leaves_no_temp_file_after_resume(config, reference, tmp_path, capsys):
    run = tmp_path / "run"
    killed = _run("train", config, "--output-dir", run, KILL_IN_SAVE=3)  # saves of last: step 0, 5, (killed) 10
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    folder = run / "checkpoints"
    stale = [n for n in os.listdir(folder) if n.endswith(".tmp")]
    assert len(stale) == 1 and stale[0].startswith(".last.safetensors.")
    assert not os.path.exists(f"/proc/{stale[0].split('.')[-2]}")  # its writer is dead
    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    live = folder / f".best.safetensors.{other.pid}.tmp"  # a live process's save in progress: kept
    try:
        live.write_bytes(b"in progress")
        capsys.readouterr()
        assert _main("train", "--resume", run) == 0
        assert "from step 5" in capsys.readouterr().out
        assert [n for n in os.listdir(folder) if n.endswith(".tmp")] == [live.name]
    finally:
        other.communicate(b"")
    live.unlink()
    _assert_same_run(reference, run)



def test_stale_temp_files_go_and_live_ones_stay(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          timeout=600)
    dead_pid = int(dead.stdout)  # that process has exited
    names = [f".last.safetensors.{dead_pid}.tmp", f".step_0000004.safetensors.{dead_pid}.tmp",
             f".last.json.{dead_pid}.tmp"]
    for name in names:
        (folder / name).write_bytes(b"torn")
    live = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        (folder / f".last.safetensors.{live.pid}.tmp").write_bytes(b"being written")
        (folder / "notes.tmp").write_bytes(b"not ours")
        removed = ckpt.remove_stale_temps(str(tmp_path))
        assert sorted(os.path.basename(p) for p in removed) == sorted(names)
        assert sorted(os.listdir(folder)) == sorted([f".last.safetensors.{live.pid}.tmp", "notes.tmp"])
    finally:
        live.communicate(b"")
    ckpt.save_checkpoint(str(tmp_path), "last", {"step": 1})  # the next save also cleans up
    assert sorted(os.listdir(folder)) == ["last.safetensors", "notes.tmp"]


def test_a_bad_line_in_the_middle_of_metrics_keeps_the_rows_after_it(tmp_path):
    rows = [{"step": i, "train/loss": 1.0 / i} for i in range(1, 6)]
    lines = [json.dumps(r) + "\n" for r in rows]
    lines.insert(2, '{"step": 3, "train/lo\n')  # line 3: garbage (a disk error, an editor)
    (tmp_path / "metrics.jsonl").write_text("".join(lines) + '{"step": 6, "tr')  # and a last line cut by a kill
    log = MetricLog(str(tmp_path))
    with pytest.warns(RuntimeWarning, match=r"metrics.jsonl: line 3 not a JSON object; skipped \(5 good rows kept\)"):
        assert log.read() == rows
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 6, "tr')
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torn last line alone is what a kill leaves: no warning
        assert log.read() == rows


def test_resume_truncates_metrics_to_the_lines_its_checkpoint_saw(tmp_path):
    log = MetricLog(str(tmp_path))
    for row in [{"step": 1, "train/loss": 2.0}, {"step": 2, "train/loss": 1.5}]:
        log.log(row)
    saw = log.lines  # what a checkpoint at step 2 records
    log.log({"step": 2, "epoch": 0, "val/loss": 1.4})  # the epoch-end row, then a kill before the next save
    log.log({"step": 3, "train/loss": 1.2})
    MetricLog(str(tmp_path)).truncate(2, saw)
    assert MetricLog(str(tmp_path)).read() == [{"step": 1, "train/loss": 2.0}, {"step": 2, "train/loss": 1.5}]
    MetricLog(str(tmp_path)).truncate(1)  # a checkpoint from before line counts: by step
    assert MetricLog(str(tmp_path)).read() == [{"step": 1, "train/loss": 2.0}]
