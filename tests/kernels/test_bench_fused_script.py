"""Smoke test: the fused-kernel benchmark script runs (toy sizes) on the emulated device."""
import json
import os
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "bench_kernels_fused.py"


def test_bench_kernels_fused_quick_json_under_the_interpreter():
    env = dict(os.environ, TRITON_INTERPRET="1")
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json"], capture_output=True, text=True,
                            env=env, timeout=600)  # a hang guard
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["meta"]["emulated"] is True
    seen = {(r["kernel"], r["passes"]) for r in report["results"]}
    assert seen == {(k, p) for k in ("layer_norm", "rms_norm", "attention", "cross_entropy") for p in ("fwd", "fwd+bwd")}
    assert all(r["ms"] > 0 and r["rate"] > 0 for r in report["results"])
    assert all("peak_mib" in r for r in report["results"] if r["kernel"] == "cross_entropy")
