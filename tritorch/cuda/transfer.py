"""Allocation and copies: ``empty``/``zeros``/``full``/``to_device`` and the host <-> device and
device <-> device copies behind ``DeviceArray.numpy``, ``.copy_`` and ``.fill_``.

Contiguous copies of one dtype are plain memcpys (``cuMemcpy*Async`` on the current stream,
``memmove`` when emulated); anything else (strides, broadcasting, dtype conversion) runs the
strided copy kernel, in Triton's interpreter when emulated.
"""
import ctypes

import numpy as np

from .device import check, driver_api, is_emulated
from .errors import raise_device_errors
from .layout import collapse_dims
from .memory import allocate
from .streams import current_stream


def empty(shape, dtype=np.float32):
    """New uninitialised contiguous DeviceArray of ``shape`` (tuple of int) and ``dtype``."""
    from .array import DeviceArray, as_dtype
    shape = (int(shape),) if np.isscalar(shape) else tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"negative dimension in shape {shape}")
    dtype = as_dtype(dtype)
    return DeviceArray(allocate(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize), shape, dtype)


def zeros(shape, dtype=np.float32):
    """New DeviceArray of ``shape`` and ``dtype`` filled with zeros."""
    return empty(shape, dtype).zero_()


def full(shape, value, dtype=np.float32):
    """New DeviceArray of ``shape`` and ``dtype`` filled with ``value``."""
    return empty(shape, dtype).fill_(value)


def empty_like(array, dtype=None):
    """New uninitialised contiguous DeviceArray with ``array``'s shape and (by default) dtype."""
    return empty(array.shape, dtype or array.dtype)


def to_device(host, dtype=None):
    """Copy a numpy array (or anything ``np.asarray`` takes) to a new contiguous DeviceArray."""
    host = np.asarray(host)
    return empty(host.shape, dtype or host.dtype).copy_(host)


def _memcpy(dst_ptr, src_ptr, nbytes, kind):
    if nbytes == 0:
        return
    if is_emulated():
        ctypes.memmove(dst_ptr, src_ptr, nbytes)
        return
    driver, stream = driver_api(), current_stream()
    if kind == "htod":
        check(driver.cuMemcpyHtoDAsync(dst_ptr, src_ptr, nbytes, stream.handle))
    elif kind == "dtoh":
        check(driver.cuMemcpyDtoHAsync(dst_ptr, src_ptr, nbytes, stream.handle))
    else:
        check(driver.cuMemcpyDtoDAsync(dst_ptr, src_ptr, nbytes, stream.handle))
    if kind != "dtod":  # pageable host memory: finish before the caller touches it
        stream.synchronize()


def download(src):
    """A new host numpy array (row-major) with the values of DeviceArray ``src``."""
    if not src.is_contiguous():
        src = src.clone()
    host = np.empty(src.shape, src.dtype)
    _memcpy(host.ctypes.data, src.data_ptr(), host.nbytes, "dtoh")
    raise_device_errors()  # a kernel before this copy met an out-of-range index
    return host


def upload(dst, host):
    """Copy host values (numpy array or scalar, broadcastable to ``dst.shape``) into ``dst``."""
    host = np.asarray(host)
    try:
        host = np.broadcast_to(host, dst.shape)
    except ValueError:
        raise ValueError(f"cannot copy an array of shape {host.shape} into shape {dst.shape}") from None
    host = np.ascontiguousarray(host, dtype=dst.dtype)
    if dst.is_contiguous():
        _memcpy(dst.data_ptr(), host.ctypes.data, host.nbytes, "htod")
    else:
        copy(dst, empty(dst.shape, dst.dtype).copy_(host))


def copy(dst, src):
    """``dst[...] = src``: src a DeviceArray (broadcastable to ``dst.shape``, any dtype) or host data."""
    from .array import DeviceArray
    if not isinstance(src, DeviceArray):
        if hasattr(src, "__cuda_array_interface__") or hasattr(src, "__dlpack__") and not isinstance(src, np.ndarray):
            from .interop import as_device_array
            src = as_device_array(src)
        else:
            return upload(dst, src)
    try:
        src = src.broadcast_to(dst.shape)
    except ValueError:
        raise ValueError(f"cannot copy an array of shape {src.shape} into shape {dst.shape}") from None
    if dst.numel() == 0:
        return
    if src.dtype == dst.dtype and src.is_contiguous() and dst.is_contiguous():
        return _memcpy(dst.data_ptr(), src.data_ptr(), dst.numel() * dst.itemsize, "dtod")
    if src.dtype == dst.dtype:  # move bits, not values: exact for NaN payloads and bools alike
        raw = np.dtype(f"i{dst.itemsize}")
        src, dst = src.view(raw), dst.view(raw)
    shape, (dst_strides, src_strides) = collapse_dims(dst.shape, dst.strides, src.strides)
    from ._copy_kernel import MAX_RANK, copy_strided
    if len(shape) > MAX_RANK:  # rare: peel off the outermost dimension
        for i in range(dst.shape[0]):
            copy(dst[i], src[i])
        return
    from .triton_driver import install
    install()
    copy_strided(dst, src, shape or (1,), dst_strides or (1,), src_strides or (1,))


def fill(dst, value):
    """Set every element of DeviceArray ``dst`` to the scalar ``value``."""
    if dst.is_contiguous() and value == 0 and not np.signbit(value):
        nbytes = dst.numel() * dst.itemsize
        if is_emulated():
            ctypes.memset(dst.data_ptr(), 0, nbytes)
        elif nbytes:
            check(driver_api().cuMemsetD8Async(dst.data_ptr(), 0, nbytes, current_stream().handle))
        return
    upload(dst, np.full((), value, dst.dtype))
