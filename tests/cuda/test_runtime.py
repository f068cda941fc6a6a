"""The CUDA runtime on the emulated device (TRITON_INTERPRET=1), plus what can be checked of the
real-GPU path without a GPU."""
import gc
import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

cuda = importlib.import_module("tritorch.cuda")
from tritorch.cuda import interop, triton_driver  # noqa: E402

BF16 = cuda.as_dtype("bfloat16")
emulated_only = pytest.mark.skipif(not cuda.is_emulated(), reason="checks the emulated device")


@emulated_only
def test_emulated_device_answers_without_cuda():
    assert cuda.is_available() and cuda.device_count() == 1 and cuda.current_device() == 0
    assert cuda.get_device_name() == "emulated" and cuda.get_device_capability() == (0, 0)
    cuda.synchronize()
    cuda.set_device(0)
    with pytest.raises(ValueError, match="index 0 only"):
        cuda.set_device(1)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, BF16, np.int64, np.int32, np.int8, np.uint8, np.bool_,
                                   np.float64])
def test_round_trip(dtype):
    host = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    array = cuda.to_device(host)
    assert array.shape == (2, 3, 4) and array.strides == (12, 4, 1) and array.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(array.numpy(), host)
    np.testing.assert_array_equal(array.clone().numpy(), host)


def test_views_share_memory_and_honour_strides():
    host = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    array = cuda.to_device(host)
    for index in [1, (slice(None), 2), (slice(None, None, 2), slice(1, 4), slice(None, None, -2)),
                  (Ellipsis, 3), (None, 1, Ellipsis), (-1, slice(3, 0, -1)), (slice(5, 9),)]:
        view = array[index]
        assert view.storage is array.storage
        np.testing.assert_array_equal(view.numpy(), host[index])
    np.testing.assert_array_equal(array.T.numpy(), host.T)
    np.testing.assert_array_equal(array.transpose(0, 2).numpy(), host.transpose(2, 1, 0))
    np.testing.assert_array_equal(array.permute(1, 2, 0).numpy(), host.transpose(1, 2, 0))
    np.testing.assert_array_equal(array.reshape(4, -1).numpy(), host.reshape(4, 15))
    np.testing.assert_array_equal(array[:, 1:3].reshape(3, 10).numpy(), host[:, 1:3].reshape(3, 10))
    np.testing.assert_array_equal(array[1:].reshape(2, 1, 20).numpy(), host[1:].reshape(2, 1, 20))
    assert array.is_contiguous() and not array.T.is_contiguous() and array[1].is_contiguous()
    with pytest.raises(ValueError, match="contiguous"):
        array.T.reshape(60)
    np.testing.assert_array_equal(array.T.contiguous().reshape(60).numpy(), host.T.reshape(60))
    with pytest.raises(IndexError):
        array[3]
    with pytest.raises(TypeError, match="basic indexing"):
        array[[0, 1]]


def test_copy_fill_and_setitem():
    array = cuda.zeros((4, 6), np.float16)
    array[1:3, ::2] = np.array([1.0, 2.0, 3.0])                       # broadcast host upload
    array[3] = 7.0
    array.T[:2, 0].copy_(cuda.to_device(np.array([5.0, 6.0], np.float32)))  # strided, float32 -> float16
    expected = np.zeros((4, 6), np.float16)
    expected[1:3, ::2] = [1, 2, 3]
    expected[3] = 7
    expected[0, :2] = [5, 6]
    np.testing.assert_array_equal(array.numpy(), expected)
    wide = cuda.zeros((2, 1, 2, 1, 3, 2))                             # rank 6: the peeling path
    wide[...] = cuda.to_device(np.arange(6, dtype=np.int64)).reshape(3, 2)
    np.testing.assert_array_equal(wide.numpy()[1, 0, 1, 0], np.arange(6).reshape(3, 2))
    with pytest.raises(ValueError, match="shape"):
        array.copy_(cuda.zeros((3, 3)))
    flags = cuda.to_device(np.array([0.0, 2.0, -1.0])).clone()
    np.testing.assert_array_equal(cuda.empty((3,), np.bool_).copy_(flags).numpy(), [False, True, True])


def test_memory_stats():
    gc.collect()
    start = cuda.memory_allocated()
    cuda.reset_peak_memory_stats()
    a = cuda.empty((1000,), np.float32)
    b = cuda.empty((10,), np.float16)
    assert cuda.memory_allocated() == start + 4020
    del a
    gc.collect()
    assert cuda.memory_allocated() == start + 20
    assert cuda.max_memory_allocated() == start + 4020
    cuda.reset_peak_memory_stats()
    assert cuda.max_memory_allocated() == start + 20
    del b


def test_out_of_memory_names_the_size():
    with pytest.raises(RuntimeError, match=r"out of memory: tried to allocate .*\(1125899906842624 bytes\)"):
        cuda.empty((2**50,), np.uint8)


def test_bad_dtype_and_shape():
    with pytest.raises(TypeError, match="complex64"):
        cuda.empty((2,), np.complex64)
    with pytest.raises(ValueError, match="negative"):
        cuda.empty((2, -1))


def test_cuda_array_interface_round_trip():
    array = cuda.to_device(np.arange(12, dtype=np.float32).reshape(3, 4))[:, ::2]
    cai = array.__cuda_array_interface__
    assert cai["version"] == 3 and cai["shape"] == (3, 2) and cai["typestr"] == "<f4"
    assert cai["strides"] == (16, 8) and cai["data"] == (array.data_ptr(), False)

    class Foreign:  # another library's array that only speaks the CUDA array interface
        __cuda_array_interface__ = cai

    imported = cuda.as_device_array(Foreign())
    assert imported.data_ptr() == array.data_ptr() and imported.strides == (4, 2)
    imported.fill_(1.0)  # writes through: no copy was made
    np.testing.assert_array_equal(array.numpy(), np.ones((3, 2)))
    with pytest.raises(TypeError, match="DLPack"):
        cuda.zeros((2,), BF16).__cuda_array_interface__


@emulated_only
def test_dlpack_both_ways_without_copies():
    array = cuda.to_device(np.arange(6, dtype=np.float32).reshape(2, 3)).T
    shared = np.from_dlpack(array)                     # emulated memory is host memory: numpy can read it
    assert shared.ctypes.data == array.data_ptr()
    np.testing.assert_array_equal(shared, array.numpy())
    host = np.arange(4, dtype=np.int64)
    imported = cuda.from_dlpack(host)
    assert imported.data_ptr() == host.ctypes.data
    imported.fill_(9)
    np.testing.assert_array_equal(host, [9, 9, 9, 9])
    again = cuda.from_dlpack(cuda.zeros((2, 2), BF16).__dlpack__())   # a bare capsule, bfloat16
    assert again.dtype == BF16 and again.shape == (2, 2)
    del shared, again
    gc.collect()
    assert not interop._exported, "the DLPack deleter did not release the exported arrays"
    unused = array.__dlpack__()
    del unused                                          # never consumed: the capsule destructor releases
    assert not interop._exported


def test_as_device_array_refuses_host_and_unknown_objects():
    with pytest.raises(TypeError, match="to_device"):
        cuda.as_device_array(np.zeros(3))
    with pytest.raises(TypeError, match="__dlpack__"):
        cuda.as_device_array([1, 2, 3])


def test_streams_events_and_benchmark():
    s = cuda.Stream()
    with cuda.stream(s):
        assert cuda.current_stream() is s
    assert cuda.current_stream() is not s
    start, end = cuda.Event(), cuda.Event()
    start.record()
    cuda.zeros((100,))
    end.record()
    end.synchronize()
    assert end.query() and start.elapsed_time(end) >= 0
    calls = []
    ms = cuda.benchmark(lambda: calls.append(1), warmup=2, rep=5)
    assert isinstance(ms, float) and ms >= 0 and len(calls) == 8


def test_triton_driver_overrides_every_torch_call():
    cls = triton_driver._driver_class()
    for name in ["__init__", "is_active", "get_current_device", "set_current_device", "get_current_stream",
                 "get_device_capability", "get_device_interface", "get_benchmarker", "get_empty_cache_for_benchmark",
                 "clear_cache", "allocate_default_profile_scratch", "get_active_torch_device"]:
        assert name in cls.__dict__, f"{name} is inherited from Triton's torch-calling driver"
    if cuda.is_emulated():
        assert not cls.is_active()
        cuda.install_triton_driver()                 # a no-op: the interpreter needs no driver
        assert not triton_driver.is_installed()


def run_python(code, **env):
    environment = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=600)


@pytest.mark.skipif(os.environ.get("TRITORCH_REAL_GPU") == "1", reason="a GPU is present")
def test_without_gpu_and_emulation_cuda_is_unavailable_cleanly():
    result = run_python(
        "import importlib, numpy as np\n"
        "cuda = importlib.import_module('tritorch.cuda')\n"
        "assert not cuda.is_available() and cuda.device_count() == 0\n"
        "try:\n"
        "    cuda.to_device(np.zeros(3))\n"
        "except RuntimeError as e:\n"
        "    assert 'CUDA is not available' in str(e) and 'TRITON_INTERPRET=1' in str(e), e\n"
        "else:\n"
        "    raise SystemExit('no error')\n")
    assert result.returncode == 0, result.stderr


def test_kernels_never_import_torch():
    result = run_python(
        "import sys, importlib, numpy as np\n"
        "import tritorch.cuda, tritorch.kernels\n"
        "cuda = importlib.import_module('tritorch.cuda')\n"
        "from tritorch.kernels import matmul, softmax\n"
        "a = cuda.to_device(np.ones((8, 8), np.float16))\n"
        "p = softmax(matmul(a, a, activation='gelu'))\n"
        "assert p.numpy().shape == (8, 8)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n",
        TRITON_INTERPRET="1")
    assert result.returncode == 0, result.stderr


def test_importing_the_runtime_touches_neither_cuda_nor_triton():
    result = run_python(
        "import sys, importlib\n"
        "importlib.import_module('tritorch.cuda')\n"
        "bad = [m for m in ('cuda.bindings', 'triton', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n")
    assert result.returncode == 0, result.stderr
