"""Complex-number ops: real/imag views, conj, angle, sgn, complex() and polar().

complex64/complex128 tensors are numpy complex arrays. `.real` and `.imag` are views (numpy's
`a.real`/`a.imag` share memory), so writes through them reach the complex tensor, as in PyTorch.
conj() is materialised eagerly (PyTorch keeps a lazy conj bit): is_conj() is always False and
resolve_conj() returns its input. Gradients follow PyTorch's convention, the conjugate Wirtinger
derivative: for s = f(z) and upstream gradient G, grad z = G conj(ds/dz) + conj(G) ds/dz*.
"""
import builtins
import cmath

from .. import _dtype
from ..autograd.function import Function
from ._util import wrap
from .shape import _as_view

__all__ = ["real", "imag", "conj", "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "is_neg", "angle", "sgn",
           "complex", "polar", "is_complex", "vdot", "isreal"]


def _cpu_only(name, x):
    """Complex math runs on numpy: a cuda tensor gets a clear error rather than a wrong answer."""
    if x._device.type != "cpu":
        raise RuntimeError(f"{name}: complex tensors are CPU-only in tritorch (got a {x.dtype.name} tensor on "
                           f"{x.device}); move it with .cpu() first")


def refuse_complex(kernel, *tensors):
    """PyTorch's NotImplementedError for an op without a complex kernel (norms, pools, interpolation...):
    tritorch raises it too rather than run real-number code on complex data."""
    for t in tensors:
        d = getattr(t, "dtype", None)
        if d is not None and getattr(d, "is_complex", False):
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.SCALAR_TYPE_NAMES[d.name]}'")


# ops PyTorch refuses for complex inputs: name -> (exception, message)
_COMPLEX_REFUSED = {
    "relu": (NotImplementedError, "clamp is not supported for complex types"),
    "sign": (NotImplementedError, "Unlike NumPy, tritorch.sign is not intended to support complex numbers. Please use "
                                  "tritorch.sgn instead."),
    "floor": (NotImplementedError, "floor is not supported for complex inputs"),
    "ceil": (NotImplementedError, "ceil is not supported for complex inputs"),
    "trunc": (NotImplementedError, "trunc is not supported for complex inputs"),
    "maximum": (RuntimeError, "maximum not implemented for complex tensors."),
    "minimum": (RuntimeError, "minimum not implemented for complex tensors."),
}
_COMPLEX_KERNELS = {"erf": "erf_vml_cpu", "round": "round_vml_cpu", "bitwise_not": "bitwise_not_cpu",
                    "lt": "lt_cpu", "le": "le_cpu", "gt": "gt_cpu", "ge": "ge_cpu", "floor_divide": "div_floor_cpu",
                    "remainder": "remainder_cpu", "fmod": "fmod_cpu", "atan2": "atan2_cpu",
                    "bitwise_and": "bitwise_and_cpu", "bitwise_or": "bitwise_or_cpu", "bitwise_xor": "bitwise_xor_cpu"}


def refuse_complex_op(op, dtype):
    """PyTorch's error for an op it does not define on complex numbers (never a silent real-part result)."""
    if op in _COMPLEX_REFUSED:
        exc, msg = _COMPLEX_REFUSED[op]
        raise exc(msg)
    if op in _COMPLEX_KERNELS:
        raise NotImplementedError(f"\"{_COMPLEX_KERNELS[op]}\" not implemented for "
                                  f"'{_dtype.SCALAR_TYPE_NAMES[dtype.name]}'")


def conj_any(v):
    """conj of a tensor or Python scalar (the complex gradients below are the real-case formulas on conj'd inputs)."""
    return v.conj() if hasattr(v, "conj") else (v.conjugate() if isinstance(v, builtins.complex) else v)


def complex_pow_grads(a, b, out, g, needs):
    """pow's gradients for a complex result: g conj(b a^(b-1)) and g conj(a^b log a), the base taken
    as complex (a real negative base has the principal log ln|a| + i pi, as in the forward)."""
    ac = a.to(out.dtype) if hasattr(a, "conj") else builtins.complex(a)
    log_a = ac.log() if hasattr(ac, "conj") else cmath.log(ac)
    return (g * (b * ac ** (b - 1)).conj() if needs[0] else None,
            g * (out * log_a).conj() if needs[1] else None)


class _Part(Function):
    """x.real / x.imag of a complex tensor: a real view sharing x's memory."""
    _name_override = "SelectBackward0"

    @staticmethod
    def forward(ctx, x, which):
        ctx.which, ctx.dtype = which, x.dtype
        data = x._data.real if which == "real" else x._data.imag
        return _as_view(wrap(data, x.device), x, real if which == "real" else imag)

    @staticmethod
    def backward(ctx, g):
        # d/dx of x -> Re: grad g; of x -> Im: grad i g (PyTorch's real/imag backward)
        gc = g.to(ctx.dtype)
        return (gc if ctx.which == "real" else gc * 1j), None


def real(input):
    """The real part: a real view of a complex tensor (float32 for complex64); a real tensor itself."""
    if not input.dtype.is_complex:
        return input
    return _Part.apply(input, "real")


def imag(input):
    """The imaginary part: a real view of a complex tensor; a real tensor raises, as in PyTorch."""
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _Part.apply(input, "imag")


class _Conj(Function):
    _name_override = "ConjBackward0"

    @staticmethod
    def forward(ctx, x):
        return wrap(x._b.unary("conj", x._data), x.device)

    @staticmethod
    def backward(ctx, g):
        return g.conj()


def conj(input):
    """The complex conjugate (a new tensor: tritorch has no lazy conj bit); a real tensor itself."""
    if not input.dtype.is_complex:
        return input
    _cpu_only("conj", input)
    return _Conj.apply(input)


def conj_physical(input):
    """The complex conjugate, materialised (same as conj() here); a real tensor itself."""
    return conj(input)


def resolve_conj(input):
    """input itself: conj() is always materialised, so there is no conj bit to resolve."""
    return input


def resolve_neg(input):
    """input itself: tritorch has no lazy negation bit."""
    return input


def is_conj(input):
    """False: conj() is materialised eagerly (PyTorch would say True for a lazy conj view)."""
    return False


def is_neg(input):
    return False


def is_complex(input):
    return input.dtype.is_complex


class _Angle(Function):
    _name_override = "AngleBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return wrap(x._b.unary("angle", x._data), x.device)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if not x.dtype.is_complex:
            return g * 0
        # d angle: grad * i z / |z|^2, zero at z = 0 (PyTorch's angle_backward)
        r2 = x.abs().square()
        zero = r2 == 0
        return (g * x * 1j / r2.masked_fill(zero, 1)).masked_fill(zero, 0)


def angle(input):
    """Elementwise argument in radians: atan2(imag, real) for complex (real dtype out); for real inputs
    pi where negative, else 0 (NaN stays NaN); integers give the default float dtype."""
    x = input
    if not x.dtype._inexact:
        x = x.to(_dtype.get_default_dtype())
    if x.dtype.is_complex:
        _cpu_only("angle", x)
    return _Angle.apply(x)


class _Sgn(Function):
    _name_override = "SgnBackward0"

    @staticmethod
    def forward(ctx, x):
        out = wrap(x._b.unary("sgn", x._data), x.device)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        # s = z / |z|: ds/dz = 1 / (2|z|), ds/dz* = -s^2 / (2|z|), so grad = (g - conj(g) s^2) / (2|z|); 0 at z = 0
        r = x.abs()
        zero = r == 0
        out = (g - g.conj() * s * s) / (2 * r.masked_fill(zero, 1))
        return out.masked_fill(zero, 0)


def sgn(input):
    """z / |z| for complex (0 at 0); sign() for real tensors."""
    if not input.dtype.is_complex:
        return input.sign()
    _cpu_only("sgn", input)
    return _Sgn.apply(input)


class _Complex(Function):
    _name_override = "ComplexBackward0"

    @staticmethod
    def forward(ctx, re, im):
        out = re._b.unary("to_complex", re._data)
        out.imag = im._data
        return wrap(out, re.device)

    @staticmethod
    def backward(ctx, g):
        return g.real, g.imag


def complex(real, imag, *, out=None):
    """real + i imag: float32 parts give complex64, float64 parts complex128 (both parts one dtype,
    broadcast together, as PyTorch requires)."""
    if real.dtype not in (_dtype.float32, _dtype.float64) or imag.dtype not in (_dtype.float32, _dtype.float64):
        names = _dtype.SCALAR_TYPE_NAMES
        if real.dtype is imag.dtype or not (real.dtype._inexact and imag.dtype._inexact):
            raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                               f"{names[real.dtype.name]} and {names[imag.dtype.name]}")
    if real.dtype is not imag.dtype:
        raise RuntimeError(f"Expected object of scalar type {_dtype.SCALAR_TYPE_NAMES[real.dtype.name]} but got scalar "
                           f"type {_dtype.SCALAR_TYPE_NAMES[imag.dtype.name]} for second argument")
    _cpu_only("complex", real)
    if real.shape != imag.shape:
        from .shape import broadcast_tensors
        real, imag = broadcast_tensors(real, imag)
    result = _Complex.apply(real, imag)
    if out is not None:
        return out.copy_(result)
    return result


def isreal(input):
    """Elementwise: the imaginary part is 0 (always True for real tensors); bool."""
    if not input.dtype.is_complex:
        from .creation import ones_like
        return ones_like(input, dtype=_dtype.bool_)
    return imag(input) == 0


def vdot(input, other, *, out=None):
    """sum(conj(input) * other) of two 1-D tensors (dot() does not conjugate; vdot does)."""
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D tensors")
    from .linalg import dot
    result = dot(conj(input), other)
    return result if out is None else out.copy_(result)


def polar(abs, angle, *, out=None):
    """abs * (cos(angle) + i sin(angle)); float32 parts give complex64, float64 complex128."""
    if abs.dtype is not angle.dtype:
        raise RuntimeError(f"Expected object of scalar type {_dtype.SCALAR_TYPE_NAMES[abs.dtype.name]} but got scalar "
                           f"type {_dtype.SCALAR_TYPE_NAMES[angle.dtype.name]} for second argument")
    return complex(abs * angle.cos(), abs * angle.sin(), out=out)
