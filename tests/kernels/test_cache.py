"""The autotune cache: keys, lookup by the launchers, and robustness against bad files."""
import importlib
import json
import os
import warnings

import numpy as np
import pytest

from tritorch.kernels import _cache, matmul, matmul_reference

cuda = importlib.import_module("tritorch.cuda")
mm = importlib.import_module("tritorch.kernels.matmul")
SMALL = dict(BLOCK_M=16, BLOCK_N=32, BLOCK_K=16, GROUP_M=2, num_warps=4, num_stages=1)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRITORCH_CACHE_DIR", str(tmp_path))
    _cache._warned_stale.clear()
    return tmp_path


def write_raw(cache_dir, text):
    path = cache_dir / "autotune.json"
    path.write_text(text)
    os.utime(path, ns=(1, os.stat(path).st_mtime_ns + 1))  # a new mtime: lookup re-reads the file
    return path


def test_device_tag_names_gpu_capability_and_triton():
    import triton
    name, capability, version = _cache.device_tag().split("|")
    assert name == cuda.get_device_name() and capability == "sm{}.{}".format(*cuda.get_device_capability())
    assert version == f"triton-{triton.__version__}"


def test_keys_bucket_shapes_and_name_dtypes():
    key = mm.matmul_key(500, 4000, 4096, np.float16)
    assert key == "float16|ieee|M512|N4096|K4096"
    assert mm.matmul_key(257, 1, 1, cuda.as_dtype("bfloat16"), "tf32") == "bfloat16|tf32|M512|N1|K1"
    ce = importlib.import_module("tritorch.kernels.cross_entropy")
    assert ce.cross_entropy_key(50257, np.float32) != ce.cross_entropy_key(50257, np.float16)


def test_store_then_lookup_round_trip(cache_dir):
    assert _cache.lookup("matmul", "k") is None                       # no file: silently None
    _cache.store("matmul", "k", SMALL, ms=0.5, default_ms=0.7)
    _cache.store("softmax", "float32|N128", {"BLOCK_N": 128, "num_warps": 4})
    assert _cache.lookup("matmul", "k", like=SMALL) == SMALL
    assert _cache.lookup("matmul", "other") is None and _cache.lookup("layer_norm", "k") is None
    entry = json.loads((cache_dir / "autotune.json").read_text())["entries"][_cache.device_tag()]["matmul"]["k"]
    assert entry["ms"] == 0.5 and entry["default_ms"] == 0.7 and entry["config"] == SMALL
    assert sorted(os.listdir(cache_dir)) == ["autotune.json", "autotune.json.lock"]   # no temporary file left


def test_launcher_uses_the_cached_config(cache_dir, monkeypatch, rng):
    seen = []
    real = mm._launch
    monkeypatch.setattr(mm, "_launch", lambda *a: seen.append(a[-1]) or real(*a))
    a, b = rng.standard_normal((37, 19)).astype(np.float32), rng.standard_normal((19, 45)).astype(np.float32)
    matmul(cuda.to_device(a), cuda.to_device(b))
    assert seen[-1] == mm.matmul_default_config(37, 45, 19, np.float32)
    _cache.store("matmul", mm.matmul_key(37, 45, 19, np.float32), SMALL)
    out = matmul(cuda.to_device(a), cuda.to_device(b))
    assert seen[-1] == SMALL
    np.testing.assert_allclose(out.numpy(), matmul_reference(a, b), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("text, why", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a tritorch autotune cache"),
    (json.dumps({"format": "tritorch-autotune", "version": 99, "entries": {}}), "version 99"),
    (json.dumps({"format": "tritorch-autotune", "version": 1, "entries": {"x": [1]}}), "entries"),
])
def test_corrupt_or_foreign_file_is_ignored_with_one_warning(cache_dir, rng, text, why):
    write_raw(cache_dir, text)
    with pytest.warns(RuntimeWarning, match=why):
        assert _cache.lookup("matmul", "k") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # the same file version warns once
        assert _cache.lookup("matmul", "k") is None
        a = rng.standard_normal((9, 7)).astype(np.float32)
        out = matmul(cuda.to_device(a), cuda.to_device(a.T.copy()))   # the default config, no new warning
    np.testing.assert_allclose(out.numpy(), matmul_reference(a, a.T), rtol=1e-4, atol=1e-4)


def test_another_device_entries_are_not_used(cache_dir):
    data = _cache.empty_cache()
    data["entries"]["NVIDIA Other GPU|sm8.0|triton-0.0"] = {"matmul": {"k": {"config": SMALL}}}
    _cache.write_cache(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _cache.lookup("matmul", "k", like=SMALL) is None


def test_stale_config_is_ignored_with_a_warning(cache_dir, rng):
    a, b = rng.standard_normal((21, 11)).astype(np.float32), rng.standard_normal((11, 13)).astype(np.float32)
    key = mm.matmul_key(21, 13, 11, np.float32)
    _cache.store("matmul", key, {"BLOCK_SIZE": 64, "num_warps": 4})         # keys of an older kernel
    with pytest.warns(RuntimeWarning, match="stale config for matmul"):
        out = matmul(cuda.to_device(a), cuda.to_device(b))
    np.testing.assert_allclose(out.numpy(), matmul_reference(a, b), rtol=1e-4, atol=1e-4)
    _cache.store("matmul", key, dict(SMALL, BLOCK_M=-16))                     # not a positive int
    assert _cache.lookup("matmul", key, like=SMALL) is None


def test_store_replaces_a_corrupt_file_and_merge_prefers_the_newcomer(cache_dir):
    write_raw(cache_dir, "{broken")
    with pytest.warns(RuntimeWarning, match="replacing an unreadable cache"):
        _cache.store("matmul", "k", SMALL, tag="A")
    mine = _cache.read_cache()
    other = _cache.empty_cache()
    other["entries"]["A"] = {"matmul": {"k": {"config": dict(SMALL, num_warps=8)}, "k2": {"config": SMALL}}}
    assert _cache.merge(mine, other) == 2
    assert mine["entries"]["A"]["matmul"]["k"]["config"]["num_warps"] == 8
    assert [e[:3] for e in _cache.entries(mine)] == [("A", "matmul", "k"), ("A", "matmul", "k2")]


def _store_many(path, tag, start, barrier):
    barrier.wait()  # both processes write at the same moment
    for i in range(start, start + 100):
        _cache.store("matmul", f"k{i}", SMALL, tag=tag, path=path)


def test_two_processes_storing_at_once_keep_every_entry(cache_dir):
    """Each store reads, merges and writes under the cache's lock: 2 x 100 entries -> 200 kept."""
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    path, barrier = str(cache_dir / "autotune.json"), ctx.Barrier(2)
    procs = [ctx.Process(target=_store_many, args=(path, "test-device", start, barrier)) for start in (0, 100)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)  # guards only against a hang
    assert [p.exitcode for p in procs] == [0, 0]
    keys = _cache.read_cache(path)["entries"]["test-device"]["matmul"]
    assert sorted(keys) == sorted(f"k{i}" for i in range(200))


def test_a_tuned_config_that_fails_falls_back_to_the_default_with_a_warning(cache_dir, rng):
    softmax = importlib.import_module("tritorch.kernels.softmax")
    default = softmax.softmax_default_config(45)
    broken = dict(default, BLOCK_N=48)  # positive ints, the right keys, but not a power of two: fails to build
    key = softmax.softmax_key(45, np.float32)
    _cache.store("softmax", key, broken)
    x = rng.standard_normal((3, 45)).astype(np.float32)
    with pytest.warns(RuntimeWarning, match=r"autotune cache entry softmax float32\|N64 .*'BLOCK_N': 48.* failed"):
        y = softmax.softmax(cuda.to_device(x))
    np.testing.assert_allclose(y.numpy(), softmax.softmax_reference(x), rtol=1e-5, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the failed entry is not tried (nor warned about) again
        y = softmax.softmax(cuda.to_device(x))
    np.testing.assert_allclose(y.numpy(), softmax.softmax_reference(x), rtol=1e-5, atol=1e-6)
    assert _cache.lookup("softmax", key, like=default) is None
    with pytest.raises(Exception):  # a config passed explicitly is used as is: no fallback hides its error
        softmax.softmax(cuda.to_device(x), config=broken)
