"""Elementwise ops on strided DeviceArrays: one generic kernel for unary, binary and ternary ops.

``out[i] = OP(x[i], y[i], z[i])`` over the broadcast shape of the operands. Each operand is a
strided view of any dtype (broadcast dims have stride 0), a Python scalar, or absent. Dims that
every operand can address with one stride are merged (``collapse_dims``), so the kernel sees at
most four dims; more (rare) are peeled off in Python (``kernels._strided``). The op is a ``tl.constexpr`` code,
so each (op, dtypes) pair compiles to its own straight-line kernel.

Math runs in float32 for float16/bfloat16/float32, float64 for float64 and int64 for integers and
bool. Only ``tl``/``tl.math`` builtins are used (Triton's interpreter has no libdevice): tanh,
log1p, expm1, atan, pow, round-half-even, ... are composed from exp/log/sqrt/floor with the
classic accuracy tricks. ``pow`` with a non-integer float exponent is ``exp2(y * log2|x|)`` in
float64 (about 1e-13 relative error for float64 results; float32 results are exact to rounding).
Python scalars travel as 64-bit kernel arguments (float64 bit patterns for floats), never as
device buffers, so no op needs a host-to-device copy.

The numpy twin and test oracle of this family is the CPU backend (``tritorch/_dispatch/cpu``).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import DeviceArray, as_dtype, empty, is_emulated

from ._math import atan, atan2, div_ieee, expm1, int_divmod, log1p, max_nan, min_nan, pow_float, pow_int, \
    round_half_even, sqrt_ieee, tanh
from ._strided import dummy_view, launch, unravel

BF16 = as_dtype("bfloat16")

UNARY = ("identity", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "abs", "neg",
         "sign", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "erf", "floor", "ceil", "round", "trunc",
         "reciprocal", "isnan", "isinf", "isfinite", "logical_not", "bitwise_not", "asin", "acos", "atan",
         "sinh", "cosh", "square")
BINARY = ("add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum", "atan2",
          "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and",
          "bitwise_or", "bitwise_xor")
TERNARY = ("where", "clamp", "arange", "linspace", "eye", "tril", "triu")
OPS = {**{n: i for i, n in enumerate(UNARY)}, **{n: 100 + i for i, n in enumerate(BINARY)},
       **{n: 200 + i for i, n in enumerate(TERNARY)}}
PREDICATES = ("isnan", "isinf", "isfinite", "logical_not", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
              "logical_or", "logical_xor")

# operand kinds (constexpr): absent, strided array, Python scalar
_ABSENT, _ARRAY, _SCALAR = 0, 1, 2


# -- op dispatch -----------------------------------------------------------------------------------
@triton.jit
def _half_exp(x):
    """exp(|x|) / 2 as (exp(|x| / 2) / 2) * exp(|x| / 2): finite wherever the result is (sinh/cosh of 89
    in float32 is 2.2e38, but exp(89) overflows)."""
    h = tl.exp(0.5 * tl.abs(x))
    return (0.5 * h) * h


@triton.jit
def _unary(x, OP: tl.constexpr, KIND: tl.constexpr):
    if OP == 0:
        r = x
    elif OP == 1:
        r = tl.exp(x)
    elif OP == 2:
        r = tl.exp2(x)
    elif OP == 3:
        r = tl.log(x)
    elif OP == 4:
        r = tl.log2(x)
    elif OP == 5:
        r = tl.log(x) * 0.4342944819032518
    elif OP == 6:
        r = log1p(x)
    elif OP == 7:
        r = expm1(x)
    elif OP == 8:
        r = sqrt_ieee(x, KIND)
    elif OP == 9:
        r = div_ieee(tl.zeros_like(x) + 1.0, sqrt_ieee(x, KIND), KIND)
    elif OP == 10:
        r = tl.where(x < 0, -x, x)
    elif OP == 11:
        r = -x
    elif OP == 12:
        if KIND == 0:
            r = (x > 0).to(tl.int64) - (x < 0).to(tl.int64)
        else:
            # NaN and -0.0 give 0, as in PyTorch
            r = tl.where(x > 0, tl.zeros_like(x) + 1.0, tl.where(x < 0, tl.zeros_like(x) - 1.0, tl.zeros_like(x)))
    elif OP == 13:
        r = tl.sin(x)
    elif OP == 14:
        r = tl.cos(x)
    elif OP == 15:
        r = div_ieee(tl.sin(x), tl.cos(x), KIND)
    elif OP == 16:
        r = tanh(x)
    elif OP == 17:
        e = tl.exp(-tl.abs(x))
        r = tl.where(x >= 0, div_ieee(tl.zeros_like(e) + 1.0, e + 1.0, KIND), div_ieee(e, e + 1.0, KIND))
    elif OP == 18:
        r = tl.where((x > 0) | (x != x), x, tl.zeros_like(x))
    elif OP == 19:
        r = tl.erf(x)
    elif OP >= 20 and OP <= 23 and KIND == 0:
        r = x
    elif OP == 20:
        r = tl.floor(x)
    elif OP == 21:
        r = tl.ceil(x)
    elif OP == 22:
        r = round_half_even(x)
    elif OP == 23:
        r = tl.where(x >= 0, tl.floor(x), tl.ceil(x))
    elif OP == 24:
        r = div_ieee(tl.zeros_like(x) + 1.0, x, KIND)
    elif OP == 25:
        r = x != x
    elif OP == 26:
        if KIND == 0:
            r = x != x
        else:
            r = tl.abs(x) == float("inf")
    elif OP == 27:
        if KIND == 0:
            r = x == x
        else:
            r = (x == x) & (tl.abs(x) != float("inf"))
    elif OP == 28:
        r = x == 0
    elif OP == 29:
        r = ~x
    elif OP == 30:
        r = atan2(x, sqrt_ieee((1.0 - x) * (1.0 + x), KIND))
    elif OP == 31:
        r = atan2(sqrt_ieee((1.0 - x) * (1.0 + x), KIND), x)
    elif OP == 32:
        r = atan(x)
    elif OP == 33:
        e = expm1(tl.abs(x))
        r = tl.where(tl.abs(x) > 20.0, _half_exp(x), 0.5 * (e + div_ieee(e, e + 1.0, KIND)))
        r = tl.where(x < 0, -r, r)
    elif OP == 34:
        e = tl.exp(tl.abs(x))
        r = tl.where(tl.abs(x) > 20.0, _half_exp(x), 0.5 * (e + div_ieee(tl.zeros_like(e) + 1.0, e, KIND)))
    else:
        r = x * x
    return r


@triton.jit
def _binary(x, y, OP: tl.constexpr, KIND: tl.constexpr):
    if OP == 100:
        r = x + y
    elif OP == 101:
        r = x - y
    elif OP == 102:
        r = x * y
    elif OP == 103:
        r = div_ieee(x, y, KIND)
    elif OP >= 104 and OP <= 106 and KIND == 0:
        q, m = int_divmod(x, y)
        if OP == 104:
            r = tl.where((m != 0) & ((m < 0) != (y < 0)), q - 1, q)
        elif OP == 105:
            r = tl.where((m != 0) & ((m < 0) != (y < 0)), m + y, m)
        else:
            r = m
    elif OP == 104:
        # PyTorch's div_floor_floating: exact for the quotients that floor(x / y) rounds wrongly
        m = x % y
        d = div_ieee(x - m, y, KIND)
        d = tl.where((m != 0) & ((y < 0) != (m < 0)), d - 1.0, d)
        f = tl.floor(d)
        f = tl.where(d - f > 0.5, f + 1.0, f)
        q = div_ieee(x, y, KIND)
        zero = tl.zeros_like(d)
        r = tl.where(d != 0, f, tl.where(q < 0, -zero, zero))
        r = tl.where(y == 0, q, r)
    elif OP == 105:
        m = x % y
        r = tl.where((m != 0) & ((m < 0) != (y < 0)), m + y, m)
    elif OP == 106:
        r = x % y
    elif OP == 107:
        if KIND == 0:
            r = pow_int(x, y)
        else:
            r = pow_float(x, y, KIND)
    elif OP == 108:
        r = max_nan(x, y)
    elif OP == 109:
        r = min_nan(x, y)
    elif OP == 110:
        r = atan2(x, y)
    elif OP == 111:
        r = x == y
    elif OP == 112:
        r = x != y
    elif OP == 113:
        r = x < y
    elif OP == 114:
        r = x <= y
    elif OP == 115:
        r = x > y
    elif OP == 116:
        r = x >= y
    elif OP == 117:
        r = (x != 0) & (y != 0)
    elif OP == 118:
        r = (x != 0) | (y != 0)
    elif OP == 119:
        r = (x != 0) != (y != 0)
    elif OP == 120:
        r = x & y
    elif OP == 121:
        r = x | y
    else:
        r = x ^ y
    return r


@triton.jit
def _ternary(x, y, z, offs, n, OP: tl.constexpr, HAS_Y: tl.constexpr, HAS_Z: tl.constexpr, KIND: tl.constexpr):
    if OP == 200:
        r = tl.where(x != 0, y, z)
    elif OP == 201:
        r = x
        if HAS_Y:
            r = max_nan(r, y)
        if HAS_Z:
            r = min_nan(r, z)
    elif OP == 202:
        r = x + offs.to(x.dtype) * y
    elif OP == 203:
        r = tl.where(offs == n - 1, z, x + offs.to(x.dtype) * y)
    else:
        row = offs // y
        r = row == offs - row * y
    return r


# -- the kernel ------------------------------------------------------------------------------------
@triton.jit
def _operand(ptr, bits, i0, i1, i2, i3, s0, s1, s2, s3, mask, KIND_OF: tl.constexpr, KIND: tl.constexpr,
             TY: tl.constexpr, BLOCK: tl.constexpr):
    """One operand as a BLOCK of the compute type TY: loaded through its strides, or a scalar."""
    if KIND_OF == 1:
        v = tl.load(ptr + i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3, mask=mask, other=0).to(TY)
    elif KIND_OF == 2:
        b = bits.to(tl.int64)
        if KIND == 0:
            v = tl.zeros([BLOCK], TY) + b
        else:
            v = tl.zeros([BLOCK], TY) + b.to(tl.float64, bitcast=True).to(TY)
    else:
        v = tl.zeros([BLOCK], TY)
    return v


@triton.jit(do_not_specialize=["x_bits", "y_bits", "z_bits"])
def _elementwise(out_ptr, x_ptr, y_ptr, z_ptr, x_bits, y_bits, z_bits, n_rows, n, size1, size2, size3,
                 so0, so1, so2, so3, sx0, sx1, sx2, sx3, sy0, sy1, sy2, sy3, sz0, sz1, sz2, sz3,
                 OP: tl.constexpr, KIND: tl.constexpr, TY: tl.constexpr,
                 X: tl.constexpr, Y: tl.constexpr, Z: tl.constexpr,
                 ROUND_BF16: tl.constexpr, BLOCK: tl.constexpr):
    """out[i] = OP(x[i], y[i], z[i]) over an (n // (size1*size2*size3), size1, size2, size3) index
    space; each pointer is addressed through its own four element strides (0 where broadcast).
    X, Y, Z: operand kinds (0 absent, 1 array, 2 scalar given by *_bits); KIND: compute type;
    n_rows: the row count of the matrices tril/triu mask (out is then contiguous)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    i0, i1, i2, i3 = unravel(offs, size1, size2, size3)
    x = _operand(x_ptr, x_bits, i0, i1, i2, i3, sx0, sx1, sx2, sx3, mask, X, KIND, TY, BLOCK)
    y = _operand(y_ptr, y_bits, i0, i1, i2, i3, sy0, sy1, sy2, sy3, mask, Y, KIND, TY, BLOCK)
    z = _operand(z_ptr, z_bits, i0, i1, i2, i3, sz0, sz1, sz2, sz3, mask, Z, KIND, TY, BLOCK)
    if OP < 100:
        r = _unary(x, OP, KIND)
    elif OP < 200:
        r = _binary(x, y, OP, KIND)
    elif OP < 205:
        r = _ternary(x, y, z, offs, n, OP, Y != 0, Z != 0, KIND)
    else:  # tril (205) / triu (206): x the matrices, y_bits their column count, z_bits the diagonal
        cols = y_bits.to(tl.int64)
        diag = z_bits.to(tl.int64)
        row = (offs // cols) % n_rows
        above = offs % cols - row
        if OP == 205:
            r = tl.where(above <= diag, x, tl.zeros_like(x))
        else:
            r = tl.where(above >= diag, x, tl.zeros_like(x))
    if ROUND_BF16:  # round to nearest even by hand: Triton's interpreter truncates float32 -> bfloat16 (and
        # writes an integer's value as the bfloat16 bits), so go through float32
        r = r.to(tl.float32)
        b = r.to(tl.uint32, bitcast=True)
        b = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16
        r = tl.where(r != r, r, b.to(tl.float32, bitcast=True))
    tl.store(out_ptr + i0 * so0 + i1 * so1 + i2 * so2 + i3 * so3, r.to(out_ptr.dtype.element_ty), mask=mask)


# -- launcher --------------------------------------------------------------------------------------
def compute_kind(dtype):
    """0 (int64 math) for integers and bool, 1 (float32) for float16/bfloat16/float32, 2 for float64."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        return 2
    return 1 if dtype.kind == "f" or dtype == BF16 else 0


def _bits(value, kind):
    if kind == 0:
        return int(np.asarray(value).astype(np.int64))
    return int(np.asarray(value, np.float64).view(np.int64))


def elementwise(op, operands, out_dtype=None, compute=None, out=None, n_rows=1):
    """``op`` applied elementwise; returns ``out`` (a new contiguous DeviceArray unless given).

    Args:
        op (str): a name from ``UNARY``, ``BINARY`` or ``TERNARY``.
        operands (list): 1 to 3 entries, each a DeviceArray (any dtype and strides, broadcastable
            to the result), a Python scalar, or None (absent: only clamp's bounds may be absent).
        out_dtype (numpy dtype, optional): the result's dtype. Default: bool for predicates and
            comparisons, else the first array operand's dtype.
        compute (numpy dtype, optional): the dtype whose math is used (see ``compute_kind``).
            Default: the first array's dtype for predicates and comparisons, else ``out_dtype``.
        out (DeviceArray, optional): where to write; its shape is the iteration shape.
        n_rows (int, optional): rows of the matrices that ``tril``/``triu`` mask.
    """
    if op not in OPS:
        raise ValueError(f"unknown elementwise op {op!r}")
    arrays = [x for x in operands if isinstance(x, DeviceArray)]
    if out_dtype is None:
        out_dtype = np.bool_ if op in PREDICATES else (arrays[0].dtype if arrays else out.dtype)
    if compute is None:
        compute = arrays[0].dtype if op in PREDICATES and arrays else out_dtype
    kind = compute_kind(compute)
    if out is None:
        shape = tuple(np.broadcast_shapes(*[a.shape for a in arrays])) if arrays else ()
        out = empty(shape, out_dtype)
    operands = list(operands) + [None] * (3 - len(operands))
    flags = dict(OP=OPS[op], KIND=kind, TY=(tl.int64, tl.float32, tl.float64)[kind],
                 ROUND_BF16=is_emulated() and out.dtype == BF16)
    flags.update({name: _ABSENT if v is None else _ARRAY if isinstance(v, DeviceArray) else _SCALAR
                  for name, v in zip("XYZ", operands)})
    bits = [_bits(v, kind) if flags[name] == _SCALAR else 0 for name, v in zip("XYZ", operands)]
    if op in ("tril", "triu"):
        bits[1:] = [int(operands[1]), int(operands[2])]
    views = [v.broadcast_to(out.shape) if isinstance(v, DeviceArray) else dummy_view(out) for v in operands]
    launch(_elementwise, [out] + views, bits + [n_rows], flags)
    return out
