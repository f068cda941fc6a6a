"""Killed and interrupted runs: a SIGKILL mid-training followed by --resume ends with the same
weights as an uninterrupted run (bitwise, on CPU); Ctrl-C saves a checkpoint and exits cleanly."""
import json
import os
import signal

import yaml

from ._util import assert_same_weights, cli, weights

# 20 batches per epoch; dropout in the model, so the RNG must be restored too. Checkpoints every 7
# steps and at each evaluation (every 10): a kill at the 33rd forward leaves `last` at step 30,
# in the middle of the second epoch, with steps 31-32 lost.
CONFIG = {
    "imports": ["killable"],  # tests/train/killable.py, on the subprocess's PYTHONPATH
    "seed": 3, "device": "cpu",
    "data": {"dataset": {"type": "Digits", "flatten": True}, "val_fraction": 0.15, "batch_size": 64},
    "model": {"type": "killable.KillableMLP", "hidden": 32, "p": 0.2},
    "optimizer": {"type": "AdamW", "lr": 3e-3, "weight_decay": 1e-2},
    "scheduler": {"type": "CosineAnnealingLR", "T_max": 50, "warmup_steps": 5},
    "trainer": {"max_steps": 50, "eval_every": 10, "checkpoint_every": 7, "gradient_clip_val": 1.0,
                "accumulate_grad_batches": 1, "progress": False},
}


def _write(tmp_path, **trainer):
    cfg = {**CONFIG, "trainer": {**CONFIG["trainer"], **trainer}}
    path = tmp_path / "resume.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _steps(run_dir, key="train/loss"):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [r["step"] for r in map(json.loads, f) if key in r]


def _last_step(run_dir):
    with open(os.path.join(run_dir, "checkpoints", "last.json")) as f:
        return json.load(f)["step"]


def test_sigkill_then_resume_gives_the_uninterrupted_weights(tmp_path):
    config = _write(tmp_path, log_every=1)
    ref, run = str(tmp_path / "ref"), str(tmp_path / "run")
    out = cli("train", config, "--output-dir", ref)
    assert out.returncode == 0, out.stderr
    killed = cli("train", config, "--output-dir", run, env={"TRITORCH_TEST_KILL_AT": "33"})
    assert killed.returncode == -signal.SIGKILL
    assert _last_step(run) == 30 and max(_steps(run)) == 32  # steps 31, 32 ran but were not checkpointed
    resumed = cli("train", "--resume", run)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout and "from step 30" in resumed.stdout
    assert_same_weights(weights(f"{ref}/checkpoints/last.safetensors"), weights(f"{run}/checkpoints/last.safetensors"))
    assert _steps(run) == list(range(1, 51))  # the lost steps' log lines were dropped, then redone once
    assert _last_step(run) == 50


def test_sigint_saves_a_checkpoint_and_exits_cleanly_then_resumes(tmp_path):
    config = _write(tmp_path, accumulate_grad_batches=2, checkpoint_every=None, eval_every=None)
    ref, run = str(tmp_path / "ref"), str(tmp_path / "run")
    assert cli("train", config, "--output-dir", ref).returncode == 0
    stopped = cli("train", config, "--output-dir", run, env={"TRITORCH_TEST_SIGINT_AT": "13"})
    assert stopped.returncode == 130, stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert "interrupted at step 7" in stopped.stdout and f"--resume {run}" in stopped.stdout
    assert _last_step(run) == 7  # forward 13 is the first micro-batch of step 7: the step completes, then it stops
    resumed = cli("train", "--resume", run)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_weights(weights(f"{ref}/checkpoints/last.safetensors"), weights(f"{run}/checkpoints/last.safetensors"))
    longer = cli("train", "--resume", run, "trainer.max_steps=55")  # train on: the saved config follows
    assert longer.returncode == 0 and "from step 50" in longer.stdout, longer.stderr
    assert _last_step(run) == 55 and "max_steps: 55" in open(os.path.join(run, "config.yaml")).read()
