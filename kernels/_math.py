"""Math the generic kernels need, from ``tl``/``tl.math`` builtins only.

Triton's interpreter has no libdevice, so tanh, log1p, expm1, atan/atan2, pow and round-half-even
are composed from exp/log/sqrt/floor with the classic accuracy tricks (Kahan's expm1/log1p,
Cephes' atan). Functions take values in the compute type; ``KIND`` is 0 for int64, 1 for
float32 (IEEE ``div_rn``/``sqrt_rn``, as PyTorch) and 2 for float64.
"""
import triton
import triton.language as tl


@triton.jit
def div_ieee(x, y, KIND: tl.constexpr):
    if KIND == 1:
        return tl.div_rn(x, y)  # IEEE division, as PyTorch (plain `/` is approximate for float32)
    else:
        return x / y


@triton.jit
def sqrt_ieee(x, KIND: tl.constexpr):
    if KIND == 1:
        return tl.sqrt_rn(x)
    else:
        return tl.sqrt(x)


@triton.jit
def expm1(x):
    # Kahan: (u - 1) * x / log(u) cancels the rounding error of u = exp(x)
    u = tl.exp(x)
    um1 = u - 1.0
    r = tl.where(um1 == -1.0, um1, um1 * x / tl.log(u))
    r = tl.where(u == 1.0, x, r)
    return tl.where(u == float("inf"), u, r)


@triton.jit
def log1p(x):
    u = x + 1.0
    r = tl.where(u == 1.0, x, tl.log(u) * x / (u - 1.0))
    return tl.where(u == float("inf"), u, r)


@triton.jit
def tanh(x):
    t = expm1(-2.0 * tl.abs(x))  # in [-1, 0]: never overflows
    r = -t / (t + 2.0)
    return tl.where(x < 0, -r, r)


@triton.jit
def atan(x):
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
def sign_bit(x):
    # sign bit set, including -0.0 (whose reciprocal is -inf)
    return (x < 0) | ((x == 0) & (1.0 / x < 0))


@triton.jit
def atan2(y, x):
    ay = tl.abs(y)
    ax = tl.abs(x)
    both_inf = (ay == float("inf")) & (ax == float("inf"))
    both_zero = (ay == 0) & (ax == 0)
    safe = tl.where(both_zero, ay + 1.0, ax)
    r = atan(tl.where(both_inf, tl.zeros_like(ay) + 1.0, ay / safe))
    r = tl.where(both_zero, tl.zeros_like(ay), r)
    r = tl.where(sign_bit(x), 3.141592653589793 - r, r)
    return tl.where(sign_bit(y), -r, r)


@triton.jit
def round_half_even(x):
    f = tl.floor(x)
    d = x - f
    odd = (f - 2.0 * tl.floor(f * 0.5)) != 0
    return tl.where((d > 0.5) | ((d == 0.5) & odd), f + 1.0, f)


@triton.jit
def max_nan(x, y):
    return tl.where((x > y) | (x != x), x, y)


@triton.jit
def min_nan(x, y):
    return tl.where((x < y) | (x != x), x, y)


@triton.jit
def pow_float(x, y, KIND: tl.constexpr):
    # C's pow, through float64: exp2(y * log2|x|) with the sign and special cases fixed up
    xd = x.to(tl.float64)
    yd = y.to(tl.float64)
    r = tl.exp2(yd * tl.log2(tl.abs(xd)))
    y_int = tl.floor(yd) == yd
    odd = y_int & ((tl.abs(yd) % 2.0) == 1.0)
    r = tl.where(sign_bit(xd) & odd, -r, r)
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
def pow_int(x, y):
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
def int_divmod(x, y):
    # truncated quotient and remainder, whatever the `//` of the backend rounds to; y == 0 gives 0, 0
    safe = tl.where(y == 0, y + 1, y)
    q = x // safe
    r = x - q * safe
    fix = (r != 0) & ((r < 0) != (x < 0))
    q = tl.where(fix, q + 1, q)
    r = tl.where(fix, r - safe, r)
    return tl.where(y == 0, q * 0, q), tl.where(y == 0, r * 0, r)
