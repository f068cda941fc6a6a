"""Smoke test: scripts/bench_train.py runs its toy sizes on the emulated device and reports every row."""
import importlib.util
import json
import os
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "bench_train.py"


def test_bench_train_quick_json_under_the_interpreter():
    env = dict(os.environ, TRITON_INTERPRET="1")
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json"], capture_output=True, text=True,
                            env=env, timeout=600)  # a guard against a hang only
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["meta"]["emulated"] is True
    rows = {r["name"]: r for r in report["results"]}
    assert set(rows) == {"train mlp", "train cnn", "train gpt", "op overhead: x + x", "  of which kernel launcher"}
    assert rows["train gpt"]["unit"] == "tokens/s" and "bf16 autocast" in rows["train gpt"]["problem"]
    assert all(r["tritorch"] > 0 for r in rows.values())
    has_torch = importlib.util.find_spec("torch") is not None
    assert (rows["train mlp"]["torch"] is not None) == has_torch
    if has_torch:
        r = rows["train cnn"]
        assert abs(r["ratio"] - r["tritorch"] / r["torch"]) < 1e-9 * r["ratio"]
