"""Running sweeps under the interpreter: pruning, the correctness gate, worker failures, resume, cache."""
import importlib
import json
import select

import numpy as np
import pytest

import fake_tunables
from tritorch.cuda import get_device_properties, to_device
from tritorch.kernels import _cache
from tritorch.tune import Sweep, run_sweep
from tritorch.tune.library import MATMUL, SOFTMAX
from tritorch.tune.sweep import candidates
from tritorch.tune.worker import Worker

softmax_module = importlib.import_module("tritorch.kernels.softmax")
SHAPE = {"M": 4096, "N": 4096, "K": 4096}


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRITORCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FAKE_INTERRUPT", raising=False)
    fake_tunables.CALLS.clear()
    return tmp_path / "cache"


def fake_sweep(modes, **budget):
    return Sweep("fake.yaml", ["fake_tunables:FAKE"], ["float32"], [{"n": 37}], space={"MODE": modes},
                 budget={"max_configs": 100, "max_seconds": None, "timeout": 60, **budget})


def by_mode(result):
    return {r["config"]["MODE"]: r["status"] for r in result["records"] if r["role"] == "candidate"}


def test_pruning_names_the_limit_that_does_not_fit():
    small = dict(get_device_properties(), shared_memory_per_block_optin=64 * 1024)
    kept, pruned = candidates(MATMUL, SHAPE, "bfloat16", {}, small, 1000)
    assert kept and pruned
    for config, reason in pruned:
        stages = config["num_stages"] * (config["BLOCK_M"] + config["BLOCK_N"]) * config["BLOCK_K"] * 2
        assert stages > 64 * 1024 or "registers" in reason
        assert "shared memory" in reason or "registers" in reason
    for config in kept:
        assert config["num_stages"] * (config["BLOCK_M"] + config["BLOCK_N"]) * config["BLOCK_K"] * 2 <= 64 * 1024
    # registers: a 256x256 float32 accumulator over 4 warps (512 per thread) never survives
    assert not any(c["BLOCK_M"] * c["BLOCK_N"] // (32 * c["num_warps"]) > 255 for c in kept)


def test_space_product_and_max_configs_spread():
    space = {"BLOCK_M": [64, 128], "BLOCK_N": [64], "BLOCK_K": [32], "GROUP_M": [8], "num_warps": [4, 8],
             "num_stages": [2, 3, 4]}
    kept, pruned = candidates(MATMUL, SHAPE, "float16", space, get_device_properties(), 1000)
    assert len(kept) + len(pruned) == 12 and all(c["BLOCK_N"] == 64 for c in kept)
    few, _ = candidates(MATMUL, SHAPE, "float16", space, get_device_properties(), 3)
    assert len(few) == 3 and few[0] == kept[0] and few[-1] == kept[-1]


def test_correctness_gate_rejects_a_wrong_config_even_when_it_comes_first(tmp_path):
    result = run_sweep(fake_sweep([2, 6, 1]), str(tmp_path / "out"), isolate=False, echo=lambda _: None)
    assert by_mode(result) == {2: "wrong", 6: "error", 1: "ok"}
    wrong = next(r for r in result["records"] if r["config"]["MODE"] == 2)
    assert wrong["error"] > 0.5 and "relative error" in wrong["detail"]
    summary, = result["summaries"]
    assert summary["best"] == {"MODE": 1, "num_warps": 4} and (summary["ok"], summary["wrong"], summary["failed"]) == (1, 1, 1)
    assert _cache.lookup("fake", "float32|n37") == {"MODE": 1, "num_warps": 4}


def test_no_correct_candidate_writes_nothing_to_the_cache(tmp_path):
    result = run_sweep(fake_sweep([2]), str(tmp_path / "out"), isolate=False, echo=lambda _: None)
    assert result["summaries"][0]["best"] == {"MODE": 1, "num_warps": 1}   # only the default was right
    assert result["summaries"][0]["best_is_default"]


def test_a_hanging_and_a_crashing_candidate_cost_only_themselves(tmp_path, monkeypatch):
    """No wall clock: the hanging candidate says so (a marker file) before it blocks, and the test's
    `wait` declares the timeout then; an answer or the worker's death ends any other wait."""
    marker = tmp_path / "hanging"
    monkeypatch.setenv("FAKE_HANG_MARKER", str(marker))
    waits = []

    def wait(stream, timeout):
        waits.append(timeout)
        while not select.select([stream], [], [], 0.05)[0]:
            if marker.exists():
                marker.unlink()
                return False  # "timed out"
        return True

    result = run_sweep(fake_sweep([3, 4, 1], timeout=3), str(tmp_path / "out"), echo=lambda _: None,
                       worker=Worker(wait=wait))
    assert by_mode(result) == {3: "timeout", 4: "crash", 1: "ok"}
    assert result["stopped"] is None and result["summaries"][0]["best"]["MODE"] == 1
    assert waits and set(waits) == {3}  # the sweep's budget.timeout reaches the worker
    hung = next(r for r in result["records"] if r["config"]["MODE"] == 3)
    assert "no answer in 3 s" in hung["detail"]


def test_interrupted_sweep_resumes_without_measuring_again(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_INTERRUPT", "1")
    out = str(tmp_path / "out")
    first = run_sweep(fake_sweep([1, 5, 6]), out, isolate=False, echo=lambda _: None)
    assert first["stopped"] == "interrupted" and not first["summaries"]
    assert fake_tunables.CALLS == [1, 1, 5]                                 # default, MODE 1, then Ctrl-C
    journal = [json.loads(line) for line in open(first["journal"])]
    assert [r["config"]["MODE"] for r in journal] == [1, 1]                   # what finished was kept
    monkeypatch.delenv("FAKE_INTERRUPT")
    fake_tunables.CALLS.clear()
    second = run_sweep(fake_sweep([1, 5, 6]), out, isolate=False, echo=lambda _: None)
    assert fake_tunables.CALLS == [5, 6] and second["stopped"] is None      # only what was missing
    assert by_mode(second) == {1: "ok", 5: "ok", 6: "error"}
    fake_tunables.CALLS.clear()
    run_sweep(fake_sweep([1, 5, 6]), out, isolate=False, restart=True, echo=lambda _: None)
    assert fake_tunables.CALLS == [1, 1, 5, 6]                              # --restart measures again


def test_max_seconds_stops_and_a_later_run_finishes(tmp_path):
    out = str(tmp_path / "out")
    first = run_sweep(fake_sweep([1, 6], max_seconds=1e-9), out, isolate=False, echo=lambda _: None)
    assert first["stopped"] == "max_seconds" and fake_tunables.CALLS == []
    second = run_sweep(fake_sweep([1, 6]), out, isolate=False, echo=lambda _: None)
    assert second["stopped"] is None and len(second["summaries"]) == 1


def test_softmax_sweep_writes_the_winner_and_the_launcher_uses_it(tmp_path, monkeypatch, rng):
    space = {"BLOCK_N": [64, 128], "num_warps": [2]}
    sweep = Sweep("softmax.yaml", ["softmax"], ["float32"], [{"rows": 3, "cols": 45}], space=space)
    result = run_sweep(sweep, str(tmp_path / "out"), isolate=False, echo=lambda _: None)
    summary, = result["summaries"]
    assert summary["best"] == {"BLOCK_N": 64, "num_warps": 2} and summary["ok"] == 2
    key = SOFTMAX.key({"rows": 3, "cols": 45}, "float32")
    assert _cache.lookup("softmax", key, like=softmax_module.softmax_default_config(45)) == summary["best"]
    seen = []
    real = softmax_module.split_config
    monkeypatch.setattr(softmax_module, "split_config", lambda c: seen.append(dict(c)) or real(c))
    x = rng.standard_normal((4, 33)).astype(np.float32)                      # 33 columns: the same bucket
    y = softmax_module.softmax(to_device(x))
    assert seen == [summary["best"]]
    np.testing.assert_allclose(y.numpy(), softmax_module.softmax_reference(x), rtol=1e-5, atol=1e-6)
