"""Elementwise primitives: unary math, binary math with broadcasting, casts, where, clamp."""
import math

import ml_dtypes
import numpy as np

from ._quiet import quiet

__all__ = ["unary", "binary", "where", "cast", "clamp", "copy_", "erf"]

_LOW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))


# erf(x) / x = P(x^2) on |x| < 1, and erfc(x) exp(x^2) = Q(1 / (1 + x / 2)) on 1 <= x <= 4 (float32 erf
# is 1 past 3.92): least-squares fits in float64 against math.erf at Chebyshev nodes (relative error
# 2e-9 and 4e-11), evaluated in float32 the result is within 2.5 ulp (1.6e-7) of the true value everywhere.
_ERF_SMALL = (1.128379167, -0.3761262987, 0.1128362567, -0.02685539705, 0.00519121376, -0.0008034804819,
              7.933350236e-05)
_ERFC_BIG = (-0.0001151242571, 0.2842319495, 0.2648297626, 0.325803857, -0.04533343175, 0.4653850989,
             -0.3694109234, 0.05942720781, 0.015290576)
_erf64 = np.frompyfunc(math.erf, 1, 1)


def _horner(z, coefs):
    acc = np.full_like(z, coefs[-1])
    for c in coefs[-2::-1]:
        acc *= z
        acc += c
    return acc


_ERF_BLOCK = 1 << 15  # float32 elements per pass: the ~40 temporaries' passes stay in the L2 cache (3x faster)


def _erf32(x):
    """The fitted erf of a flat float32 array, a new array."""
    ax = np.abs(x)
    u = np.minimum(ax, 1.0)
    u *= u
    small = _horner(u, _ERF_SMALL)
    small *= x
    b = np.clip(ax, 1.0, 4.0)
    t = b * 0.5
    t += 1.0
    np.reciprocal(t, out=t)
    big = _horner(t, _ERFC_BIG)
    np.square(b, out=b)
    np.negative(b, out=b)
    np.exp(b, out=b)
    big *= b
    np.subtract(1.0, big, out=big)
    np.copysign(big, x, out=big)
    return np.where(ax < 1.0, small, big)


def erf(x):
    """erf elementwise. float64: the C library's erf per element (exact to float64); float32 and
    narrower: the two fits above in float32 (float16/bfloat16 inputs are computed in float32), in
    blocks of _ERF_BLOCK elements."""
    x = np.asarray(x)
    if x.dtype == np.float64:
        return _erf64(x).astype(np.float64) if x.ndim else np.float64(math.erf(x))
    shape, x = x.shape, x.astype(np.float32, copy=False).reshape(-1)
    if x.size <= _ERF_BLOCK:
        return _erf32(x).reshape(shape)
    out = np.empty_like(x)
    for s in range(0, x.size, _ERF_BLOCK):
        out[s:s + _ERF_BLOCK] = _erf32(x[s:s + _ERF_BLOCK])
    return out.reshape(shape)


def _sigmoid(x):
    if x.dtype.kind == "c":
        return 1 / (1 + np.exp(-x))
    # exp of a non-positive number only: no overflow for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sign(x):
    """np.sign, except that NaN gives 0 (PyTorch's sign)."""
    out = np.sign(x)
    return np.where(np.isnan(out), 0, out).astype(out.dtype, copy=False) if out.dtype.kind == "f" else out


_ZERO_ROWS = {np.dtype(np.float32): np.zeros(256, np.float32), np.dtype(np.float64): np.zeros(256)}


def _relu(x):
    """max(x, 0), NaN kept. numpy's maximum against a row of zeros runs ~2x faster than against the
    scalar 0 (its vectorised loop wants two arrays), so contiguous floats go through rows of 256."""
    zero = _ZERO_ROWS.get(x.dtype)
    if zero is not None and x.size and x.size % 256 == 0 and x.flags.c_contiguous:
        return np.maximum(x.reshape(-1, 256), zero).reshape(x.shape)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


_UNARY = {
    "exp": np.exp, "exp2": np.exp2, "log": np.log, "log2": np.log2, "log10": np.log10,
    "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x),
    "abs": np.abs, "neg": np.negative, "sign": _sign, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "tanh": np.tanh, "sigmoid": _sigmoid, "relu": _relu,
    "erf": lambda x: erf(x).astype(x.dtype), "floor": np.floor, "ceil": np.ceil,
    "round": np.round, "trunc": np.trunc, "reciprocal": lambda x: 1 / x,
    "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "logical_not": np.logical_not,
    "bitwise_not": np.invert, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "square": np.square,
    # complex helpers (tritorch._ops.complex)
    "conj": np.conjugate, "sgn": lambda z: np.where(z == 0, 0, z / np.where(z == 0, 1, np.abs(z))).astype(z.dtype),
    "angle": lambda x: np.angle(x) if x.dtype.kind == "c" else np.where(x < 0, np.pi, np.where(np.isnan(x), x, 0)
                                                                          ).astype(x.dtype),
    "to_complex": lambda x: x.astype(np.complex128 if x.dtype == np.float64 else np.complex64),
}

_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "floor_divide": np.floor_divide, "remainder": np.remainder, "fmod": np.fmod, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum, "atan2": np.arctan2,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor, "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
}


def unary(op, a):
    """op(a) elementwise, same dtype as `a` except for the predicates (isnan...) that give bool."""
    fn = _UNARY[op]
    if a.dtype in _LOW:
        out = fn(a.astype(np.float32))
        return out if out.dtype == np.bool_ else out.astype(a.dtype)
    return np.asarray(quiet(fn, a))


def binary(op, a, b, dtype):
    """op(a, b) with numpy broadcasting, computed in `dtype` (the promoted dtype); a and b are
    arrays or Python scalars. Comparisons and logical ops return bool."""
    fn = _BINARY[op]
    compute = np.float32 if np.dtype(dtype) in _LOW else dtype
    a = a.astype(compute, copy=False) if isinstance(a, np.ndarray) else np.asarray(a, compute)
    b = b.astype(compute, copy=False) if isinstance(b, np.ndarray) else np.asarray(b, compute)
    out = quiet(fn, a, b)
    if out.dtype == np.bool_:
        return out
    return np.asarray(out).astype(dtype, copy=False)


def where(cond, a, b, dtype):
    return np.where(cond, a, b).astype(dtype, copy=False)


def cast(a, dtype):
    return a.astype(dtype)


def clamp(a, lo, hi):
    """lo/hi: None, a scalar or an array broadcastable to a."""
    out = a
    if lo is not None:
        out = np.maximum(out, lo)
    if hi is not None:
        out = np.minimum(out, hi)
    return np.asarray(out).astype(a.dtype, copy=False)


def copy_(dst, src):
    """Write src (broadcast to dst's shape, cast to its dtype) into dst's memory."""
    np.copyto(dst, src, casting="unsafe")
