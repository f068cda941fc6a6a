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

The numpy twin and test oracle of this family is the CPU backend (``tritorch/backends/cpu``).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import DeviceArray, as_dtype, empty, is_emulated

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


# -- math helpers (x in the compute type; KIND 0 int64, 1 float32, 2 float64) ----------------------
@triton.jit
def _div(x, y, KIND: tl.constexpr):
    if KIND == 1:
        return tl.div_rn(x, y)  # IEEE division, as PyTorch (plain `/` is approximate for float32)
    else:
        return x / y


@triton.jit
def _sqrt(x, KIND: tl.constexpr):
    if KIND == 1:
        return tl.sqrt_rn(x)
    else:
        return tl.sqrt(x)


@triton.jit
def _expm1(x):
    # Kahan: (u - 1) * x / log(u) cancels the rounding error of u = exp(x)
    u = tl.exp(x)
    um1 = u - 1.0
    r = tl.where(um1 == -1.0, um1, um1 * x / tl.log(u))
    r = tl.where(u == 1.0, x, r)
    return tl.where(u == float("inf"), u, r)


@triton.jit
def _log1p(x):
    u = x + 1.0
    r = tl.where(u == 1.0, x, tl.log(u) * x / (u - 1.0))
    return tl.where(u == float("inf"), u, r)


@triton.jit
def _tanh(x):
    t = _expm1(-2.0 * tl.abs(x))  # in [-1, 0]: never overflows
    r = -t / (t + 2.0)
    return tl.where(x < 0, -r, r)


@triton.jit
def _atan(x):
    # Cephes atan: reduce |x| to [0, 0.66], then a rational approximation (~1e-16 in float64)
    ax = tl.abs(x)
    zero = tl.zeros_like(ax)
    big = ax > 2.414213562373095
    mid = (ax > 0.66) & (ax <= 2.414213562373095)
    t = tl.where(big, -1.0 / ax, tl.where(mid, (ax - 1.0) / (ax + 1.0), ax))
    base = tl.where(big, zero + 1.5707963267948966, tl.where(mid, zero + 0.7853981633974483, zero))
    extra = tl.where(big, zero + 6.123233995736766e-17, tl.where(mid, zero + 3.061616997868383e-17, zero))
    z = t * t
    p = (((-8.750608600031904e-1 * z - 1.615753718733365e1) * z - 7.500855792314705e1) * z
         - 1.228866684490136e2) * z - 6.485021904942025e1
    q = ((((z + 2.485846490142306e1) * z + 1.650270098316988e2) * z + 4.328810604912903e2) * z
         + 4.853903996359137e2) * z + 1.945506571482614e2
    r = base + (t * (z * p / q) + t + extra)
    return tl.where(x < 0, -r, r)


@triton.jit
def _negative(x):
    # sign bit set, including -0.0 (whose reciprocal is -inf)
    return (x < 0) | ((x == 0) & (1.0 / x < 0))


@triton.jit
def _atan2(y, x):
    ay = tl.abs(y)
    ax = tl.abs(x)
    both_inf = (ay == float("inf")) & (ax == float("inf"))
    both_zero = (ay == 0) & (ax == 0)
    safe = tl.where(both_zero, ay + 1.0, ax)
    r = _atan(tl.where(both_inf, tl.zeros_like(ay) + 1.0, ay / safe))
    r = tl.where(both_zero, tl.zeros_like(ay), r)
    r = tl.where(_negative(x), 3.141592653589793 - r, r)
    return tl.where(_negative(y), -r, r)


@triton.jit
def _round_half_even(x):
    f = tl.floor(x)
    d = x - f
    odd = (f - 2.0 * tl.floor(f * 0.5)) != 0
    return tl.where((d > 0.5) | ((d == 0.5) & odd), f + 1.0, f)


@triton.jit
def _max_nan(x, y):
    return tl.where((x > y) | (x != x), x, y)


@triton.jit
def _min_nan(x, y):
    return tl.where((x < y) | (x != x), x, y)


@triton.jit
def _pow_float(x, y, KIND: tl.constexpr):
    # C's pow, through float64: exp2(y * log2|x|) with the sign and special cases fixed up
    xd = x.to(tl.float64)
    yd = y.to(tl.float64)
    r = tl.exp2(yd * tl.log2(tl.abs(xd)))
    y_int = tl.floor(yd) == yd
    odd = y_int & ((tl.abs(yd) % 2.0) == 1.0)
    r = tl.where(_negative(xd) & odd, -r, r)
    r = tl.where((xd < 0) & (xd != float("-inf")) & ~y_int & (tl.abs(yd) != float("inf")), r * float("nan"), r)
    one = tl.zeros_like(xd) + 1.0
    r = tl.where((xd == -1.0) & (tl.abs(yd) == float("inf")), one, r)
    r = tl.where(yd == 2.0, xd * xd, r)  # the common exponents exactly, as numpy does
    r = tl.where(yd == 0.5, tl.sqrt(xd), r)
    r = tl.where(yd == 1.0, xd, r)
    r = tl.where((yd == 0) | (xd == 1.0), one, r)
    if KIND == 2:
        r = tl.where(yd == -1.0, 1.0 / xd, r)
    return r.to(x.dtype)


@triton.jit
def _pow_int(x, y):
    r = x * 0 + 1
    base = x
    e = y
    for _ in range(63):  # square and multiply over the exponent's bits
        r = tl.where((e & 1) != 0, r * base, r)
        base = base * base
        e = e >> 1
    neg = tl.where(x == 1, r * 0 + 1, tl.where(x == -1, tl.where((y & 1) != 0, r * 0 - 1, r * 0 + 1), r * 0))
    return tl.where(y < 0, neg, r)


@triton.jit
def _int_divmod(x, y):
    # truncated quotient and remainder, whatever the `//` of the backend rounds to; y == 0 gives 0, 0
    safe = tl.where(y == 0, y + 1, y)
    q = x // safe
    r = x - q * safe
    fix = (r != 0) & ((r < 0) != (x < 0))
    q = tl.where(fix, q + 1, q)
    r = tl.where(fix, r - safe, r)
    return tl.where(y == 0, q * 0, q), tl.where(y == 0, r * 0, r)


# -- op dispatch -----------------------------------------------------------------------------------
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
        r = _log1p(x)
    elif OP == 7:
        r = _expm1(x)
    elif OP == 8:
        r = _sqrt(x, KIND)
    elif OP == 9:
        r = _div(tl.zeros_like(x) + 1.0, _sqrt(x, KIND), KIND)
    elif OP == 10:
        r = tl.where(x < 0, -x, x)
    elif OP == 11:
        r = -x
    elif OP == 12:
        if KIND == 0:
            r = (x > 0).to(tl.int64) - (x < 0).to(tl.int64)
        else:
            r = tl.where(x > 0, tl.zeros_like(x) + 1.0, tl.where(x < 0, tl.zeros_like(x) - 1.0, x))
    elif OP == 13:
        r = tl.sin(x)
    elif OP == 14:
        r = tl.cos(x)
    elif OP == 15:
        r = _div(tl.sin(x), tl.cos(x), KIND)
    elif OP == 16:
        r = _tanh(x)
    elif OP == 17:
        e = tl.exp(-tl.abs(x))
        r = tl.where(x >= 0, _div(tl.zeros_like(e) + 1.0, e + 1.0, KIND), _div(e, e + 1.0, KIND))
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
        r = _round_half_even(x)
    elif OP == 23:
        r = tl.where(x >= 0, tl.floor(x), tl.ceil(x))
    elif OP == 24:
        r = _div(tl.zeros_like(x) + 1.0, x, KIND)
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
        r = _atan2(x, _sqrt((1.0 - x) * (1.0 + x), KIND))
    elif OP == 31:
        r = _atan2(_sqrt((1.0 - x) * (1.0 + x), KIND), x)
    elif OP == 32:
        r = _atan(x)
    elif OP == 33:
        e = _expm1(tl.abs(x))
        r = tl.where(e == float("inf"), e, 0.5 * (e + _div(e, e + 1.0, KIND)))
        r = tl.where(x < 0, -r, r)
    elif OP == 34:
        e = tl.exp(tl.abs(x))
        r = 0.5 * (e + _div(tl.zeros_like(e) + 1.0, e, KIND))
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
        r = _div(x, y, KIND)
    elif OP >= 104 and OP <= 106 and KIND == 0:
        q, m = _int_divmod(x, y)
        if OP == 104:
            r = tl.where((m != 0) & ((m < 0) != (y < 0)), q - 1, q)
        elif OP == 105:
            r = tl.where((m != 0) & ((m < 0) != (y < 0)), m + y, m)
        else:
            r = m
    elif OP == 104:
        # PyTorch's div_floor_floating: exact for the quotients that floor(x / y) rounds wrongly
        m = x % y
        d = _div(x - m, y, KIND)
        d = tl.where((m != 0) & ((y < 0) != (m < 0)), d - 1.0, d)
        f = tl.floor(d)
        f = tl.where(d - f > 0.5, f + 1.0, f)
        q = _div(x, y, KIND)
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
            r = _pow_int(x, y)
        else:
            r = _pow_float(x, y, KIND)
    elif OP == 108:
        r = _max_nan(x, y)
    elif OP == 109:
        r = _min_nan(x, y)
    elif OP == 110:
        r = _atan2(x, y)
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
            r = _max_nan(r, y)
        if HAS_Z:
            r = _min_nan(r, z)
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
                 OP: tl.constexpr, KIND: tl.constexpr, TY: tl.constexpr, X: tl.constexpr, Y: tl.constexpr, Z: tl.constexpr,
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
    if ROUND_BF16:  # round to nearest even by hand: Triton's interpreter truncates float32 -> bfloat16
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
                 ROUND_BF16=is_emulated() and out.dtype == BF16 and kind != 0)
    flags.update({name: _ABSENT if v is None else _ARRAY if isinstance(v, DeviceArray) else _SCALAR
                  for name, v in zip("XYZ", operands)})
    bits = [_bits(v, kind) if flags[name] == _SCALAR else 0 for name, v in zip("XYZ", operands)]
    if op in ("tril", "triu"):
        bits[1:] = [int(operands[1]), int(operands[2])]
    views = [v.broadcast_to(out.shape) if isinstance(v, DeviceArray) else dummy_view(out) for v in operands]
    launch(_elementwise, [out] + views, bits + [n_rows], flags)
    return out
