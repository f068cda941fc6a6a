"""Errors that kernels find on the device: an index out of range, reported at the next synchronisation.

A kernel cannot raise. One that meets an index outside its dimension clamps it (so no memory outside
the array is touched) and sets ``error_flag()``, a one-element int32 DeviceArray. The next call that
waits for the device and hands data to the host (``DeviceArray.numpy()``, so ``.item()``, ``.cpu()``
and ``print``, or ``synchronize()``) sees the flag, clears it and raises ``DeviceIndexError``, as
PyTorch's device-side assert surfaces at the next CUDA call after the kernel.

The flag lives in page-locked host memory mapped into the device's address space (``cuMemHostAlloc``
with ``CU_MEMHOSTALLOC_DEVICEMAP``): the host reads it after a synchronisation it was making anyway,
with no copy. Emulated, it is ordinary (host) device memory.
"""
import ctypes

import numpy as np

from .device import check, current_device, driver_api, is_emulated

_flags = {}  # device index -> (DeviceArray the kernels write, host address of the same int32)


class DeviceIndexError(IndexError, RuntimeError):
    """An index out of range met by a kernel (an IndexError, and a RuntimeError as on PyTorch's cuda)."""


def error_flag():
    """The int32 ``(1,)`` DeviceArray that kernels set to 1 when they meet an out-of-range index."""
    device = current_device()
    if device not in _flags:
        _flags[device] = _emulated_flag() if is_emulated() else _mapped_flag(device)
    return _flags[device][0]


def _emulated_flag():
    from .transfer import zeros
    flag = zeros((1,), np.int32)
    return flag, flag.data_ptr()


def _mapped_flag(device):
    from .array import DeviceArray
    from .interop import ExternalMemory
    driver = driver_api()
    host = check(driver.cuMemHostAlloc(4, getattr(driver, "CU_MEMHOSTALLOC_DEVICEMAP", 2)))
    host = int(host)
    ctypes.c_int32.from_address(host).value = 0
    pointer = int(check(driver.cuMemHostGetDevicePointer(host, 0)))
    return DeviceArray(ExternalMemory(pointer, device, None, False), (1,), np.int32), host


def raise_device_errors():
    """Raise DeviceIndexError (and clear the flag) if a kernel set it; call after a synchronisation."""
    entry = _flags.get(current_device()) if _flags else None
    if entry is None:
        return
    cell = ctypes.c_int32.from_address(entry[1])
    if cell.value:
        cell.value = 0
        raise DeviceIndexError(
            "index out of range on the device: a gather, scatter, index_select, index_add, embedding or "
            "advanced-indexing kernel was given an index outside its dimension ([0, size); [-size, size) "
            "where negative indices count from the end, as in advanced indexing) (it was "
            "clamped, so this result and what was computed from it since are wrong); raised at the first "
            "synchronisation after that kernel, as PyTorch's device-side assert")
