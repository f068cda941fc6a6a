"""Elementwise primitives: unary math, binary math with broadcasting, casts, where, clamp.

All of them are one launch of the generic strided kernel (`tritorch.kernels.elementwise`).
float16/bfloat16 compute in float32 and round back, as on the CPU.
"""
import numpy as np

from tritorch.cuda import DeviceArray, transfer
from tritorch.kernels.elementwise import compute_kind, elementwise

__all__ = ["unary", "binary", "where", "cast", "clamp", "copy_", "erf"]

# ops that keep integer inputs integer; the others compute integers in float64 (numpy's rule)
_INTEGER_OPS = {"abs", "neg", "sign", "floor", "ceil", "round", "trunc", "relu", "square", "bitwise_not",
                "isnan", "isinf", "isfinite", "logical_not"}


def unary(op, a):
    """op(a) elementwise, same dtype as `a` except for the predicates (isnan...) that give bool."""
    if op == "bitwise_not" and a.dtype == np.bool_:
        op = "logical_not"
    if a.dtype.kind in "biu" and op not in _INTEGER_OPS:
        return elementwise(op, [a], np.float64)
    return elementwise(op, [a])


def binary(op, a, b, dtype):
    """op(a, b) with broadcasting, computed in `dtype` (the promoted dtype); a and b are
    DeviceArrays or Python scalars. Comparisons and logical ops return bool."""
    compute = dtype
    if op.startswith("logical"):  # truth values of the inputs as they are (0.5 is True)
        kind = max(compute_kind(x.dtype) for x in (a, b) if isinstance(x, DeviceArray))
        compute = (np.int64, np.float32, np.float64)[kind]
    return elementwise(op, [a, b], out_dtype=None if op in _BOOL_OUT else dtype, compute=compute)


_BOOL_OUT = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"}


def where(cond, a, b, dtype):
    return elementwise("where", [cond, a, b], dtype, compute=dtype)


def cast(a, dtype):
    """A new contiguous array with a's values converted to `dtype` (a copy even for the same dtype)."""
    if np.dtype(dtype) == a.dtype:
        return a.clone()
    return elementwise("identity", [a], dtype, compute=a.dtype)


def clamp(a, lo, hi):
    """lo/hi: None, a scalar or an array broadcastable to a."""
    return elementwise("clamp", [a, lo, hi], a.dtype, compute=a.dtype)


def copy_(dst, src):
    """Write src (a DeviceArray broadcast to dst's shape, or a Python scalar) into dst's memory,
    converting to dst's dtype."""
    if not isinstance(src, DeviceArray):
        if src == 0 and not np.signbit(src) and dst.is_contiguous():
            dst.zero_()  # a memset
        else:
            elementwise("identity", [src], dst.dtype, compute=dst.dtype, out=dst)
        return
    if src.storage is dst.storage:  # may overlap: read everything before writing
        src = src.clone()
    if src.dtype == dst.dtype:
        transfer.copy(dst, src)
    else:
        elementwise("identity", [src], dst.dtype, compute=src.dtype, out=dst)


def erf(x):
    """erf(x) in float64."""
    return elementwise("erf", [x], np.float64, compute=np.float64)
