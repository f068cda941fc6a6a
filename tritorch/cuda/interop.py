"""Zero-copy exchange with other array libraries: ``__cuda_array_interface__`` (version 3) and
DLPack, both ways.

Export: ``DeviceArray.__cuda_array_interface__`` and ``DeviceArray.__dlpack__`` (an unversioned
``"dltensor"`` capsule built with ctypes; it keeps the array alive until the consumer calls the
deleter). Import: ``from_dlpack(obj)`` and ``as_device_array(obj)`` wrap another library's CUDA
array in a DeviceArray that shares its memory and keeps the producer alive.

Emulated device: memory is host memory, so DLPack exports and accepts the CPU device type
(numpy can ``np.from_dlpack`` a DeviceArray and vice versa) and the CUDA array interface carries
host pointers.
"""
import ctypes
import weakref

import ml_dtypes
import numpy as np

from .array import DeviceArray, as_dtype
from .device import current_device, is_emulated
from .streams import Stream, current_stream

KDL_CPU, KDL_CUDA, KDL_CUDA_HOST, KDL_CUDA_MANAGED = 1, 2, 3, 13


class ExternalMemory:
    """Storage for memory owned by someone else: keeps ``owner`` alive; same protocol as Allocation."""

    def __init__(self, ptr, device, owner, host):
        self.ptr, self.device, self.owner, self.host = int(ptr), int(device), owner, host

    def data_ptr(self):
        return self.ptr

    def cpu(self):
        if not self.host:
            raise RuntimeError("Triton's interpreter needs host memory, but this array lives on a real GPU")
        return self

    def copy_(self, other):
        if other is not self:
            raise RuntimeError("the interpreter may only copy an emulated storage onto itself")
        return self


def _stream_value():
    """The current stream as the interchange protocols spell it (1 = legacy default stream)."""
    return current_stream().handle or 1


# -- __cuda_array_interface__ ------------------------------------------------------------------------
def cuda_array_interface(array):
    """The version-3 ``__cuda_array_interface__`` dict of a DeviceArray (byte strides)."""
    if array.dtype == ml_dtypes.bfloat16:
        raise TypeError("bfloat16 has no __cuda_array_interface__ type string; exchange it through DLPack")
    strides = None if array.is_contiguous() else tuple(s * array.itemsize for s in array.strides)
    return {"shape": array.shape, "typestr": array.dtype.str, "data": (array.data_ptr(), False),
            "strides": strides, "version": 3, "stream": None if is_emulated() else _stream_value()}


def _from_cuda_array_interface(obj):
    cai = obj.__cuda_array_interface__
    if cai.get("mask") is not None:
        raise TypeError("masked __cuda_array_interface__ arrays are not supported")
    dtype = as_dtype(cai["typestr"])
    shape = tuple(cai["shape"])
    strides = cai.get("strides")
    if strides is not None:
        if any(s % dtype.itemsize for s in strides):
            raise ValueError(f"byte strides {strides} are not multiples of the itemsize {dtype.itemsize}")
        strides = tuple(s // dtype.itemsize for s in strides)
    stream = cai.get("stream")
    if stream is not None and not is_emulated() and stream != _stream_value():
        current_stream().wait_stream(Stream(handle=stream))
    storage = ExternalMemory(cai["data"][0], current_device(), obj, host=is_emulated())
    return DeviceArray(storage, shape, dtype, strides)


# -- DLPack structures -------------------------------------------------------------------------------
class _Device(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _Device), ("ndim", ctypes.c_int32),
                ("dtype", _DataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


_Deleter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class _Managed(ctypes.Structure):
    _fields_ = [("dl_tensor", _Tensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _Deleter)]


class _Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class _ManagedVersioned(ctypes.Structure):
    _fields_ = [("version", _Version), ("manager_ctx", ctypes.c_void_p), ("deleter", _Deleter),
                ("flags", ctypes.c_uint64), ("dl_tensor", _Tensor)]


# Our own handles on the capsule API, so argtypes never clash with ctypes.pythonapi users.
_api = ctypes.PyDLL(None)
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_NAME, _USED = b"dltensor", b"used_dltensor"
_NAME_V, _USED_V = b"dltensor_versioned", b"used_dltensor_versioned"

_DL_CODES = {"i": 0, "u": 1, "f": 2, "b": 6}
_exported = {}  # address of a _Managed we handed out -> what it keeps alive


@_Deleter
def _release(address):
    _exported.pop(address, None)


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _capsule_destructor(capsule):
    # Unconsumed capsule (still named "dltensor"): the producer must call the deleter itself.
    if _api.PyCapsule_IsValid(capsule, _NAME):
        _release(_api.PyCapsule_GetPointer(capsule, _NAME))


_DESTRUCTOR = ctypes.cast(_capsule_destructor, ctypes.c_void_p)


def dlpack_device(array):
    """``(device_type, device_id)`` of a DeviceArray: ``(kDLCUDA, index)``, or ``(kDLCPU, 0)`` emulated."""
    return (KDL_CPU, 0) if is_emulated() else (KDL_CUDA, array.device)


def to_dlpack(array, stream=None):
    """A ``"dltensor"`` PyCapsule sharing ``array``'s memory. ``stream`` (int) is the consumer's
    stream: it is made to wait for work queued so far on the current stream."""
    if stream is not None and stream != -1 and not is_emulated() and stream != _stream_value():
        Stream(handle=stream).wait_stream(current_stream())
    if array.dtype == ml_dtypes.bfloat16:
        code = 4
    else:
        code = _DL_CODES[array.dtype.kind]
    shape = (ctypes.c_int64 * array.ndim)(*array.shape)
    strides = (ctypes.c_int64 * array.ndim)(*array.strides)
    device_type, device_id = dlpack_device(array)
    managed = _Managed()
    managed.dl_tensor = _Tensor(array.data_ptr(), _Device(device_type, device_id), array.ndim,
                                _DataType(code, array.itemsize * 8, 1),
                                ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64)),
                                ctypes.cast(strides, ctypes.POINTER(ctypes.c_int64)), 0)
    managed.deleter = _release
    address = ctypes.addressof(managed)
    _exported[address] = (managed, shape, strides, array)
    return _api.PyCapsule_New(address, _NAME, _DESTRUCTOR)


def _dtype_from_dlpack(dtype):
    if dtype.lanes != 1:
        raise TypeError(f"DLPack vector types (lanes={dtype.lanes}) are not supported")
    if dtype.code == 4 and dtype.bits == 16:
        return np.dtype(ml_dtypes.bfloat16)
    kinds = {0: "i", 1: "u", 2: "f", 6: "b"}
    if dtype.code not in kinds:
        raise TypeError(f"unsupported DLPack type code {dtype.code}")
    return as_dtype(np.dtype(f"{kinds[dtype.code]}{dtype.bits // 8}"))


class _DLPackOwner:
    """Keeps a consumed capsule's tensor alive; calls the producer's deleter when collected."""

    def __init__(self, capsule, managed):
        self.capsule = capsule
        if managed.deleter:
            weakref.finalize(self, managed.deleter, ctypes.addressof(managed))


def from_dlpack(obj):
    """A DeviceArray sharing the memory of ``obj`` (an object with ``__dlpack__``, or a DLPack capsule).

    Accepts CUDA (and CUDA managed) memory; when emulated, host (CPU) memory instead.
    """
    if isinstance(obj, DeviceArray):
        return obj
    allowed = (KDL_CPU, KDL_CUDA_HOST) if is_emulated() else (KDL_CUDA, KDL_CUDA_MANAGED)
    if hasattr(obj, "__dlpack__"):
        if hasattr(obj, "__dlpack_device__") and obj.__dlpack_device__()[0] not in allowed:
            raise TypeError(_wrong_device(obj.__dlpack_device__()[0]))
        capsule = obj.__dlpack__() if is_emulated() else obj.__dlpack__(stream=_stream_value())
    else:
        capsule = obj
    address = id(capsule)
    if _api.PyCapsule_IsValid(address, _NAME):
        managed = _Managed.from_address(_api.PyCapsule_GetPointer(address, _NAME))
        _api.PyCapsule_SetName(address, _USED)
    elif _api.PyCapsule_IsValid(address, _NAME_V):
        managed = _ManagedVersioned.from_address(_api.PyCapsule_GetPointer(address, _NAME_V))
        _api.PyCapsule_SetName(address, _USED_V)
    else:
        raise TypeError(f"expected an object with __dlpack__ or an unused DLPack capsule, got {type(obj).__name__}")
    owner = _DLPackOwner(capsule, managed)  # from here on, the deleter runs when owner dies
    tensor = managed.dl_tensor
    if tensor.device.device_type not in allowed:
        raise TypeError(_wrong_device(tensor.device.device_type))
    dtype = _dtype_from_dlpack(tensor.dtype)
    shape = tuple(tensor.shape[i] for i in range(tensor.ndim))
    strides = tuple(tensor.strides[i] for i in range(tensor.ndim)) if tensor.strides else None
    storage = ExternalMemory((tensor.data or 0) + tensor.byte_offset, tensor.device.device_id, owner,
                             host=is_emulated())
    return DeviceArray(storage, shape, dtype, strides)


def _wrong_device(device_type):
    if is_emulated():
        return (f"DLPack device type {device_type} is not host memory, which the emulated device "
                "(TRITON_INTERPRET=1) needs")
    return (f"DLPack device type {device_type} is not CUDA memory; copy host arrays with "
            "tritorch.cuda.to_device")


def as_device_array(obj):
    """``obj`` as a DeviceArray without copying: a DeviceArray itself, or any object that speaks
    DLPack or ``__cuda_array_interface__``. Host numpy arrays are refused (use ``to_device``)."""
    if isinstance(obj, DeviceArray):
        return obj
    if isinstance(obj, np.ndarray):
        raise TypeError(f"a numpy array (shape {obj.shape}, {obj.dtype}) lives on the host; "
                        "copy it with tritorch.cuda.to_device")
    if hasattr(obj, "__dlpack__"):
        return from_dlpack(obj)
    if hasattr(obj, "__cuda_array_interface__"):
        return _from_cuda_array_interface(obj)
    raise TypeError(f"expected a DeviceArray or an array with __dlpack__ or __cuda_array_interface__, "
                    f"got {type(obj).__name__}")
