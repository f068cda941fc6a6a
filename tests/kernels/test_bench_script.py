"""Smoke test: the benchmark script runs (toy sizes) on the emulated device."""
import json
import os
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "bench_kernels.py"


def test_bench_kernels_quick_json_under_the_interpreter():
    env = dict(os.environ, TRITON_INTERPRET="1")
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json"], capture_output=True, text=True,
                            env=env, timeout=600)  # a guard against a hang only
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["meta"]["emulated"] is True
    kernels = {r["kernel"].split()[0] for r in report["results"]}
    assert kernels == {"matmul", "softmax", "copy"}
    assert all(r["ms"] > 0 and r["rate"] > 0 for r in report["results"])
