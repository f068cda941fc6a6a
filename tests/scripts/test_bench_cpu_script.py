"""Smoke test: scripts/bench_cpu.py runs every case at toy sizes and reports the table/JSON it promises.

No timing is asserted: the numbers depend on the machine and its load.
"""
import importlib.util
import json
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "bench_cpu.py"
CASES = {"add", "mul", "matmul4", "relu", "sum", "chain", "mlp_b64", "mlp_b512", "mlp_big", "cnn", "gpt", "lstm",
         "conv_fwd", "conv_fwdbwd", "ln_fwd", "ln_fwdbwd", "softmax", "matmul1024", "matmul2048", "gelu"}
HAS_TORCH = importlib.util.find_spec("torch") is not None


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), "--quick", "--repeats", "1", "--min-time", "0.0002", *args],
                          capture_output=True, text=True, timeout=600)  # a guard against a hang only


def test_every_case_runs_and_the_json_has_each_field():
    result = run("--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    meta = report["meta"]
    assert meta["threads"] == 1 and meta["quick"] is True and meta["blas_threads"] == "1"
    assert len(meta["load_before"]) == 3 and meta["machine"]
    rows = {r["case"]: r for r in report["results"]}
    assert set(rows) == CASES
    for r in rows.values():
        assert r["tritorch_s"] > 0 and r["number"] >= 1
        assert (r["torch_s"] is not None) == HAS_TORCH
        if HAS_TORCH:
            assert abs(r["ratio"] - r["tritorch_s"] / r["torch_s"]) <= 1e-9 * r["ratio"]
    assert rows["chain"]["target"] == 3.0 and rows["gpt"]["target"] == 1.5


def test_table_with_two_threads_and_a_case_filter():
    result = run("--threads", "2", "--cases", "add,ln_")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "2 thread(s)" in lines[0] and "load average" in lines[1]
    assert lines[2].split()[:5] == ["case", "description", "tritorch", "torch", "ratio"]
    cases = [line.split()[0] for line in lines[4:]]
    assert cases == ["add", "ln_fwd", "ln_fwdbwd"]


def test_unknown_case_is_a_one_line_error():
    result = run("--cases", "nope")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["bench_cpu: unknown case(s) nope; known: " + ", ".join(
        ["add", "mul", "matmul4", "relu", "sum", "chain", "mlp_b64", "mlp_b512", "mlp_big", "cnn", "gpt", "lstm",
         "conv_fwd", "conv_fwdbwd", "ln_fwd", "ln_fwdbwd", "softmax", "matmul1024", "matmul2048", "gelu"])]
