"""erfinv, erfc, logit, xlogy, sinc: composed from existing differentiable ops (erfinv's value is
refined by Newton steps on erf; its gradient is the exact sqrt(pi)/2 exp(y^2))."""
import math

from ..autograd.function import Function
from ..autograd import grad_mode


def _erfinv_value(x):
    """Giles' (2010) single-precision polynomial, then two Newton steps on erf(y) = x."""
    from .elementwise import where
    w = -((1 - x) * (1 + x)).log()
    central, tail = w - 2.5, w.clamp(min=0).sqrt() - 3
    p = central * 0 + 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
              0.246640727, 1.50140941):
        p = c + p * central
    q = tail * 0 - 0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
              1.00167406, 2.83297682):
        q = c + q * tail
    y = where(w < 5, p, q) * x
    finite = x.abs() < 1
    for _ in range(2):
        step = (y.erf() - x) / ((2 / math.sqrt(math.pi)) * (-(y * y)).exp())
        y = where(finite, y - step, y)
    inf = x.sign() * float("inf")
    y = where(x.abs() == 1, inf, y)
    return where(x.abs() > 1, x * float("nan"), y)


class ErfInv(Function):
    @staticmethod
    def forward(ctx, x):
        with grad_mode.no_grad():
            y = _erfinv_value(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (math.sqrt(math.pi) / 2) * (y * y).exp()


def _no_complex(kernel, *xs):
    """PyTorch has no complex kernel for these: its error, never the formula applied to complex numbers."""
    for x in xs:
        if getattr(getattr(x, "dtype", None), "is_complex", False):
            from .. import _dtype
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.SCALAR_TYPE_NAMES[x.dtype.name]}'")


def erfinv(input):
    """Inverse error function on (-1, 1); +-inf at +-1, NaN outside."""
    _no_complex("erfinv_vml_cpu", input)
    x = input if input.dtype.is_floating_point else input.float()
    return ErfInv.apply(x)


def erfc(input):
    """1 - erf(x)."""
    _no_complex("erfc_vml_cpu", input)
    return 1 - input.erf()


def logit(input, eps=None):
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given."""
    _no_complex("logit_cpu", input)
    p = input if eps is None else input.clamp(eps, 1 - eps)
    return (p / (1 - p)).log()


def xlogy(input, other):
    """input * log(other), 0 where input == 0 (unless other is NaN)."""
    _no_complex("xlogy_cpu", input, other)
    from .creation import tensor
    from .elementwise import where
    if not hasattr(input, "log"):
        input = tensor(input, device=other.device)
    if not hasattr(other, "log"):
        other = tensor(float(other), device=input.device)
    out = input * other.log()
    return where((input == 0) & ~other.isnan(), out.new_zeros(()), out)


def sinc(input):
    """sin(pi x) / (pi x), 1 at 0."""
    from .elementwise import where
    px = input * math.pi
    safe = where(input == 0, px * 0 + 1, px)
    return where(input == 0, safe * 0 + 1, safe.sin() / safe)
