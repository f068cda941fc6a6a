"""PyTorch's legacy tensor types: ``torch.FloatTensor``, ``torch.cuda.LongTensor``, ... and ``Tensor.type()``.

Each legacy type names a (dtype, device type) pair, as in PyTorch:

    torch.FloatTensor(2, 3)            # an uninitialised (2, 3) float32 cpu tensor (tritorch: zeros)
    torch.LongTensor([1, 2])           # from data, cast to int64
    isinstance(x, torch.FloatTensor)   # x is a float32 tensor on the cpu
    x.type()                           # 'torch.FloatTensor'; 'torch.cuda.FloatTensor' on cuda
    x.type(torch.LongTensor) / x.type('torch.DoubleTensor') / x.type(torch.int32)   # casts

They are not subclasses of Tensor (``issubclass(torch.FloatTensor, torch.Tensor)`` is False in
PyTorch too); what they make are ordinary tritorch tensors.
"""
import numpy as np

from . import _dtype

# legacy name stem -> dtype name, PyTorch's spellings
_STEMS = {"Float": "float32", "Double": "float64", "Half": "float16", "BFloat16": "bfloat16", "Long": "int64",
          "Int": "int32", "Short": "int16", "Char": "int8", "Byte": "uint8", "Bool": "bool"}
_STEM_OF = {v: k for k, v in _STEMS.items()}
_STEM_OF.update({"complex64": "ComplexFloat", "complex128": "ComplexDouble"})  # type() strings only (no classes)


class tensortype(type):
    """The metaclass of the legacy types: ``isinstance`` checks dtype and device type."""

    def __instancecheck__(cls, obj):
        from .tensor import Tensor
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == cls._device_type

    def __repr__(cls):
        return f"<class '{cls.__qualname__}'>"

    @property
    def is_cuda(cls):
        return cls._device_type == "cuda"


class _LegacyTensor(metaclass=tensortype):
    dtype = None
    _device_type = "cpu"

    def __new__(cls, *args, device=None):
        from ._ops.creation import empty, tensor
        from .tensor import Tensor
        where = cls._device_type if device is None else device
        if not args:
            return empty(0, dtype=cls.dtype, device=where)
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return empty(*args, dtype=cls.dtype, device=where).zero_()
        if len(args) > 1:
            raise TypeError(f"new() received an invalid combination of arguments - got "
                            f"({', '.join(type(a).__name__ for a in args)})")
        data = args[0]
        if isinstance(data, tuple) and all(isinstance(a, (int, np.integer)) for a in data) and \
                type(data).__name__ == "Size":
            return empty(*data, dtype=cls.dtype, device=where).zero_()
        if isinstance(data, Tensor):
            if data.dtype is not cls.dtype:
                raise TypeError(f"expected {cls.dtype} (got {data.dtype})")
            return data if data.device.type == cls._device_type else data.to(where)
        return tensor(data, dtype=cls.dtype, device=where)


def _make_type(stem, dtype_name, device_type):
    module = "torch" if device_type == "cpu" else "torch.cuda"
    cls = tensortype(f"{stem}Tensor", (_LegacyTensor,), {
        "dtype": _dtype._by_name(dtype_name), "_device_type": device_type, "__module__": module,
        "__doc__": f"Legacy {module}.{stem}Tensor: {dtype_name} tensors on the {device_type}."})
    cls.__qualname__ = f"{module}.{stem}Tensor"
    return cls


CPU_TYPES = {f"{stem}Tensor": _make_type(stem, name, "cpu") for stem, name in _STEMS.items()}
CUDA_TYPES = {f"{stem}Tensor": _make_type(stem, name, "cuda") for stem, name in _STEMS.items()}
_BY_STRING = {**{f"torch.{k}": v for k, v in CPU_TYPES.items()},
              **{f"torch.cuda.{k}": v for k, v in CUDA_TYPES.items()}}


def type_string(t):
    """``'torch.FloatTensor'`` for a float32 cpu tensor, ``'torch.cuda.LongTensor'`` for int64 on cuda."""
    prefix = "torch." if t.device.type == "cpu" else f"torch.{t.device.type}."
    return f"{prefix}{_STEM_OF[t.dtype.name]}Tensor"


def tensor_type(t, dtype=None, non_blocking=False):
    """``Tensor.type()``: the type string with no argument; a cast to a dtype, a legacy type or
    its string (``'torch.cuda.FloatTensor'`` also moves to cuda). Returns ``t`` when nothing changes."""
    if dtype is None:
        return type_string(t)
    if isinstance(dtype, str):
        if dtype not in _BY_STRING:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _BY_STRING[dtype]
    if isinstance(dtype, tensortype):
        return t.to(device=dtype._device_type if dtype._device_type != t.device.type else t.device,
                    dtype=dtype.dtype)
    return t.to(_dtype.to_dtype(dtype))


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from .tensor import Tensor
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``torch.autograd.Variable(data, requires_grad=False)``: since PyTorch 0.4 a Variable is a
    Tensor. As in PyTorch, returns a new leaf sharing ``data``'s memory (``data.detach()``) with
    ``requires_grad`` as given; every tensor is an instance of Variable."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        from .tensor import Tensor
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            import warnings
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          stacklevel=2)
        return data.detach().requires_grad_(bool(requires_grad))


def set_default_tensor_type(t):
    """Legacy ``torch.set_default_tensor_type(torch.cuda.FloatTensor)`` (or its string): sets the
    default floating dtype and the default device, as PyTorch does."""
    from ._global_settings import set_default_device
    if isinstance(t, str):
        if t not in _BY_STRING:
            raise TypeError(f"invalid type: '{t}'")
        t = _BY_STRING[t]
    if not isinstance(t, tensortype) or not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(t.dtype)
    set_default_device(t._device_type)
