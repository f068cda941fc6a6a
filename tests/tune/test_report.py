"""Reports: the winner by time when timed, the tables' figures, CSV/JSON, and the plot."""
import csv
import json

import pytest

import fake_tunables
from tritorch.tune import Sweep, run_sweep, sweep as sweep_module, worker as worker_module
from tritorch.tune.report import config_text, format_tables, write_reports

TIMED_MEASURE = {"warmup": 0, "rep": 3, "seed": 0}


@pytest.fixture
def timed(tmp_path, monkeypatch):
    """A sweep that times as on a GPU, on fake_tunables.CLOCK (simulated ms that the fake kernels and
    the baseline advance), so that no result depends on the machine's speed or load."""
    monkeypatch.setenv("TRITORCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sweep_module, "is_emulated", lambda: False)
    fake_tunables.CALLS.clear()

    def benchmark(fn, warmup=10, rep=50):  # the median of `rep` calls, on the simulated clock
        times = []
        for _ in range(rep):
            start = fake_tunables.CLOCK[0]
            fn()
            times.append(fake_tunables.CLOCK[0] - start)
        return sorted(times)[len(times) // 2]

    monkeypatch.setattr(worker_module, "benchmark", benchmark)

    def run(modes, baseline=None):
        s = Sweep("fake.yaml", ["fake_tunables:FAKE"], ["float32"], [{"n": 37}, {"n": 5}], space={"MODE": modes},
                  measure=TIMED_MEASURE)
        return run_sweep(s, str(tmp_path / "out"), isolate=False, restart=True, baseline=baseline, echo=lambda _: None,
                         compile_check=False)  # timed as on a GPU, but nothing to compile for the fake kernels
    return run


def test_timed_winner_is_the_fastest_correct_config_not_the_first(timed):
    result = timed([7, 2, 1])
    for summary in result["summaries"]:
        assert summary["best"]["MODE"] == 1                              # 7 is slower, 2 is wrong
        assert summary["best_ms"] < 4.0 and summary["default_ms"] is not None
    slow = [r for r in result["records"] if r["config"] and r["config"].get("MODE") == 7]
    assert all(r["ms"] >= 4.0 for r in slow)


def test_the_default_wins_when_no_candidate_beats_it(timed):
    summary = timed([7])["summaries"][0]
    assert summary["best_is_default"] and summary["best"] == {"MODE": 1, "num_warps": 1}


def test_tables_give_throughput_and_gains():
    summary = {"kernel": "matmul", "dtype": "bfloat16", "shape": {"M": 4096, "N": 4096, "K": 4096},
               "best": {"BLOCK_M": 128, "num_warps": 8}, "best_ms": 0.25, "best_is_default": False,
               "default_ms": 0.5, "baseline_ms": 0.3, "flops": 2.0 * 4096 ** 3, "bytes": 0,
               "ok": 10, "wrong": 1, "failed": 2, "pruned": 3}
    rows = [dict(summary), dict(summary, kernel="softmax", flops=0, bytes=2e9, baseline_ms=None, shape={"rows": 8})]
    text = format_tables(rows)
    assert "BM128 w8" in text and "549.8 TFLOP/s" in text and "2.00x" in text and "1.20x" in text
    assert "8000.0 GB/s" in text and "10/1/2/3" in text
    assert config_text({"BLOCK_V": 4096, "GROUP_M": 8, "num_stages": 3, "ROWS_PER_PROGRAM": 4}) == "BV4096 G8 s3 R4"


def test_write_reports_csv_json_and_plot(timed, tmp_path):
    baseline = tmp_path / "slow_baseline.py"
    baseline.write_text("import fake_tunables\nNAME = 'sleepy'\n"
                        "def baseline(kernel, arrays, shape):\n"
                        "    return lambda: fake_tunables.CLOCK.__setitem__(0, fake_tunables.CLOCK[0] + 2.0)\n")
    result = timed([7, 1], baseline=str(baseline))
    text, paths, note = write_reports(result, str(tmp_path / "report"))
    rows = list(csv.DictReader(open(paths["csv"])))
    assert len(rows) == len(result["records"]) == 2 * 4                 # default, 2 candidates, baseline
    assert all(float(r["ms"]) > 0 for r in rows)
    assert [r["detail"] for r in rows if r["role"] == "baseline"] == ["sleepy", "sleepy"]
    assert all(s["baseline_ms"] >= 2.0 for s in result["summaries"])
    assert text.split("\n")[3].split()[-2].endswith("x")                       # the "vs baseline" column is filled
    assert json.loads(open(paths["json"]).read())["summaries"][0]["best"]["MODE"] == 1
    assert open(paths["tables"]).read().strip() == text.strip()
    pytest.importorskip("matplotlib")
    assert note is None and open(paths["plot"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
