"""Shared helpers for the trainer tests: small configs and the CLI in a subprocess."""
import copy
import os
import subprocess
import sys

import numpy as np

import tritorch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))

DIGITS = {
    "seed": 0,
    "device": "cpu",
    "data": {"dataset": {"type": "Digits", "flatten": True}, "val_fraction": 0.15, "batch_size": 64},
    "model": {"type": "Sequential", "layers": [
        {"type": "Linear", "in_features": 64, "out_features": 32}, {"type": "ReLU"},
        {"type": "Dropout", "p": 0.1}, {"type": "Linear", "in_features": 32, "out_features": 10}]},
    "optimizer": {"type": "Adam", "lr": 1e-2},
    "trainer": {"max_steps": 30, "progress": False},
    "metrics": ["loss", "accuracy"],
}


def digits(**trainer):
    cfg = copy.deepcopy(DIGITS)
    cfg["trainer"].update(trainer)
    return cfg


def cli(*args, cwd=None, env=None, timeout=600):  # timeout: a guard against a hang only
    """`python -m tritorch ARGS` -> CompletedProcess (text)."""
    full_env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, REPO]), **(env or {}))
    full_env.pop("TRITON_INTERPRET", None)
    return subprocess.run([sys.executable, "-m", "tritorch", *args], cwd=cwd or REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def weights(path):
    """{name: numpy array} of the model in a checkpoint file."""
    return {k: v.numpy() for k, v in tritorch.load(path, map_location="cpu")["model"].items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), f"{k}: max diff {np.abs(a[k] - b[k]).max()}"
