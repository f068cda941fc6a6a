"""A Triton driver that answers from cuda-python instead of torch.

Triton's stock ``CudaDriver`` asks torch for the current device, the current stream, the
device capability, the device interface (``torch.cuda``), the L2-flush buffer of its
benchmarker and the profiler's scratch memory; in Triton 3.6 its constructor and ``is_active``
even ``import torch`` outright. ``TritorchCudaDriver`` subclasses it, keeps what is torch-free
(``CudaUtils``: loading modules, ``CudaLauncher``: launching) and answers the rest from
``tritorch.cuda``. Methods overridden, for Triton 3.6 to 3.9:

==============================  ==========================================================
``__init__``                     skips ``GPUDriver.__init__`` (``import torch``)
``is_active``                    cuda-python finds a GPU
``get_current_device``           ``tritorch.cuda.current_device()``
``set_current_device``           ``tritorch.cuda.set_device()``
``get_current_stream``           ``tritorch.cuda.current_stream().handle`` for the current device;
                                 another device's default stream (0) for another device
``get_device_capability``        ``cuDeviceGetAttribute``
``get_device_interface``         the ``tritorch.cuda`` module (``synchronize``, ``Event``, ...)
``get_benchmarker``              ``tritorch.cuda.benchmark.do_bench`` (CUDA events)
``get_empty_cache_for_benchmark``/``clear_cache``   a 256 MiB DeviceArray, zeroed
``allocate_default_profile_scratch``                stream-ordered pool memory (a Triton 3.9 hook:
                                                    3.6 has no such method and never calls it; its
                                                    profiler uses ``set_profile_allocator``)
``get_active_torch_device``      raises: there is no torch device
==============================  ==========================================================

Read against Triton 3.6.0's ``CudaDriver``/``CudaLauncher`` and 3.9's: compiling needs
``get_current_target`` (inherited: device and capability from the methods above), launching needs
``utils`` (``load_binary``, ``get_device_properties``) and ``launcher_cls``, both Triton's own.
Triton 3.6 builds each new kernel signature's launcher as a C extension at its first launch
(``compile_module_from_src``): a C compiler (``cc``/``gcc``/``clang``, or ``$CC``), the Python
headers and ``libcuda.so.1`` (found through ``ldconfig``, or ``$TRITON_LIBCUDA_PATH``) must be
present; ``requirements()`` reports them (``tritorch info`` prints it).

``install()`` sets it active with ``triton.runtime.driver.set_active`` and serves Triton's
global-scratch memory with ``triton.set_allocator``. Triton keeps that allocator in a
``ContextVar``, i.e. per thread (a new thread starts without one), so ``install()`` sets it again
in every thread and context that launches. Kernel launchers call it before each launch; it
installs the driver once, and does nothing when the device is emulated (the interpreter needs no
driver).
"""
import os
import shutil
import sys
import sysconfig
import threading

import numpy as np

from .device import current_device, driver_api, check, get_device_capability, is_available, is_emulated, set_device
from .streams import Stream, current_stream

_lock = threading.Lock()
_installed = False


def scratch_allocator(size, alignment, stream):
    """Triton's allocator protocol: ``size`` bytes aligned to ``alignment`` on ``stream`` (int).

    The block returns to the pool when Triton drops it, ordered after the kernel on ``stream``.
    """
    from .array import DeviceArray
    from .memory import Allocation
    allocation = Allocation(size + alignment, Stream(handle=stream or 0))
    skip = -allocation.ptr % alignment
    return DeviceArray(allocation, (size,), np.int8, offset=skip)


def _driver_class():
    from triton.backends.nvidia.driver import CudaDriver, CudaLauncher, CudaUtils
    from . import benchmark

    class TritorchCudaDriver(CudaDriver):
        """Triton's CUDA driver with every torch call answered by ``tritorch.cuda``."""

        def __init__(self):
            self.utils = CudaUtils()
            self.launcher_cls = CudaLauncher

        @staticmethod
        def is_active():
            return not is_emulated() and is_available()

        def get_current_device(self):
            return current_device()

        def set_current_device(self, device):
            set_device(device)

        def get_current_stream(self, device=None):
            if device is None or int(device) == current_device():
                return current_stream().handle
            return 0  # tritorch selects streams for the current device only: another device's default

        def get_device_capability(self, device=None):
            return get_device_capability(device)

        def get_active_torch_device(self):
            raise RuntimeError("tritorch's Triton driver is torch-free: there is no torch device")

        def get_device_interface(self):
            return sys.modules["tritorch.cuda"]

        def get_benchmarker(self):
            return benchmark.do_bench

        def get_empty_cache_for_benchmark(self):
            return benchmark.l2_flush_buffer()

        def clear_cache(self, cache):
            cache.zero_()

        def allocate_default_profile_scratch(self, size, alignment, stream):
            scratch = scratch_allocator(size, alignment, stream)
            check(driver_api().cuMemsetD8Async(scratch.data_ptr(), 0, size, stream or 0))
            return scratch

    return TritorchCudaDriver


def install():
    """Make Triton launch through ``TritorchCudaDriver`` (once; a no-op when emulated).

    Raises RuntimeError("CUDA is not available: ...") when there is no GPU and no emulation.
    """
    global _installed
    if is_emulated():
        return
    if not _installed:
        with _lock:
            if not _installed:
                driver_api()
                import triton
                triton.runtime.driver.set_active(_driver_class()())
                _installed = True
    _set_allocator()


def _set_allocator():
    """``triton.set_allocator(scratch_allocator)`` unless this thread's context already has it."""
    try:
        from triton.runtime._allocation import _allocator
        if _allocator.get() is scratch_allocator:
            return
    except ImportError:  # a Triton that moved it: set it every time (cheap)
        pass
    import triton
    triton.set_allocator(scratch_allocator)


def requirements():
    """What Triton 3.6's launcher needs at a kernel's first launch: ``{"c_compiler": path or None,
    "python_headers": bool, "libcuda": path or None}`` (Triton 3.9 needs none of them)."""
    compiler = os.environ.get("CC") or next((shutil.which(c) for c in ("cc", "gcc", "clang") if shutil.which(c)), None)
    include = sysconfig.get_paths().get("include") or ""
    libcuda = os.environ.get("TRITON_LIBCUDA_PATH")
    if not libcuda:
        try:
            import ctypes.util
            libcuda = ctypes.util.find_library("cuda")
        except Exception:
            libcuda = None
    return {"c_compiler": compiler, "python_headers": os.path.exists(os.path.join(include, "Python.h")),
            "libcuda": libcuda}


def is_installed():
    """True once ``install()`` has made tritorch's driver Triton's active driver."""
    return _installed
