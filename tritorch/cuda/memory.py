"""Device memory: CUDA's stream-ordered pool, with allocation statistics.

``allocate(nbytes)`` returns an ``Allocation`` that owns a block of device memory and gives it
back when garbage-collected. Blocks come from the device's default memory pool through
``cuMemAllocAsync`` and return to it through ``cuMemFreeAsync`` on the stream they were
allocated on, so a block may be freed while kernels that use it are still queued: the free is
ordered after them. (Work on *other* streams must be ordered with ``Stream.wait_stream``.) The
pool's release threshold is raised so freed memory stays cached for reuse instead of going back
to the OS at every synchronisation.

Emulated device: a block is a numpy byte buffer; statistics work the same way. One wrinkle:
Triton's interpreter keeps the arrays of each launch in a reference cycle, so a block used by an
interpreted kernel is given back (and uncounted) at the next garbage collection, not at once.
"""
import weakref

import numpy as np

from .device import check, current_device, driver_api, is_emulated
from .streams import current_stream

ALIGNMENT = 256  # bytes; what cudaMalloc guarantees, and more than any dtype or TMA needs
_allocated = {}  # device -> bytes currently allocated
_peak = {}       # device -> peak of _allocated since the last reset
_pools_tuned = set()


def _fmt(nbytes):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.2f} {unit}"
        nbytes /= 1024


def _count(device, delta):
    now = _allocated.get(device, 0) + delta
    _allocated[device] = now
    _peak[device] = max(_peak.get(device, 0), now)


def _oom(nbytes, device, cause):
    return RuntimeError(f"CUDA out of memory: tried to allocate {_fmt(nbytes)} ({nbytes} bytes) on device "
                        f"{device}; {_fmt(_allocated.get(device, 0))} already allocated by tritorch ({cause})")


class Allocation:
    """Owns ``nbytes`` of device memory at address ``ptr`` (an int) on ``device`` (an int).

    It is also the "untyped storage" Triton's interpreter asks a pointer argument for:
    ``data_ptr()``, ``cpu()`` and ``copy_()``.
    """

    def __init__(self, nbytes, stream=None):
        self.nbytes = int(nbytes)
        self.device = current_device()
        self.host = None  # the numpy buffer backing an emulated allocation
        if is_emulated():
            try:
                buffer = np.empty(self.nbytes + ALIGNMENT, dtype=np.uint8)
            except (MemoryError, ValueError) as e:
                raise _oom(self.nbytes, self.device, f"host memory: {e}") from None
            start = -buffer.ctypes.data % ALIGNMENT
            self.host = buffer[start:start + self.nbytes]
            self.ptr = buffer.ctypes.data + start
            self._finalizer = weakref.finalize(self, _count, self.device, -self.nbytes)
        else:
            driver = driver_api()
            stream = stream or current_stream()
            _tune_pool(driver, self.device)
            err, ptr = driver.cuMemAllocAsync(max(self.nbytes, 1), stream.handle)
            if err == driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY:
                raise _oom(self.nbytes, self.device, "cuMemAllocAsync")
            check((err,))
            self.ptr = int(ptr)
            self._finalizer = weakref.finalize(self, _free, self.ptr, stream.handle, self.device, self.nbytes)
        _count(self.device, self.nbytes)

    # -- the storage protocol of Triton's interpreter ----------------------------------------
    def data_ptr(self):
        return self.ptr

    def cpu(self):
        if self.host is None:
            raise RuntimeError("Triton's interpreter needs host memory, but this array lives on a real GPU; "
                               "unset TRITON_INTERPRET or create the array under it")
        return self

    def copy_(self, other):
        if other is not self:
            raise RuntimeError("the interpreter may only copy an emulated storage onto itself")
        return self

    def __repr__(self):
        return f"Allocation({self.nbytes} bytes at {self.ptr:#x}, device={self.device})"


def _free(ptr, stream_handle, device, nbytes):
    _count(device, -nbytes)
    try:
        driver_api().cuMemFreeAsync(ptr, stream_handle)
    except Exception:  # interpreter shutdown: CUDA may already be torn down
        pass


def _tune_pool(driver, device):
    """Keep freed blocks cached in the pool (best effort: a failure only costs speed)."""
    if device in _pools_tuned:
        return
    _pools_tuned.add(device)
    try:
        pool = check(driver.cuDeviceGetDefaultMemPool(check(driver.cuDeviceGet(device))))
        attr = driver.CUmemPool_attribute.CU_MEMPOOL_ATTR_RELEASE_THRESHOLD
        check(driver.cuMemPoolSetAttribute(pool, attr, driver.cuuint64_t(2**64 - 1)))
    except (RuntimeError, TypeError, AttributeError):
        pass


def allocate(nbytes, stream=None):
    """A new ``Allocation`` of ``nbytes`` on the current device, ordered on ``stream``."""
    return Allocation(nbytes, stream)


def memory_allocated(device=None):
    """Bytes currently allocated by tritorch on ``device`` (default: current)."""
    return _allocated.get(current_device() if device is None else int(device), 0)


def max_memory_allocated(device=None):
    """Peak of ``memory_allocated(device)`` since the start or the last ``reset_peak_memory_stats``."""
    return _peak.get(current_device() if device is None else int(device), 0)


def reset_peak_memory_stats(device=None):
    """Restart peak tracking from the current allocated amount."""
    device = current_device() if device is None else int(device)
    _peak[device] = _allocated.get(device, 0)
