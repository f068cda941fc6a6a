"""CPU-only fused primitives (no cuda twin yet): GELU forward/backward (layer_norm's backward is
in norm.py).

The autograd Functions that use them (F.gelu, F.layer_norm) check `hasattr(backend, name)` and
fall back to Tensor ops on a backend without them, so the cuda device computes the same math
unfused. float16/bfloat16 compute in float32 and round back.
"""
import math

import numpy as np

from .elementwise import erf
from .nn import _up

__all__ = ["gelu", "gelu_backward"]


# -- GELU ------------------------------------------------------------------------------------------
_K_TANH = math.sqrt(2.0 / math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _gelu_tanh_inner(x):
    """tanh(k (x + 0.044715 x^3)), a new array."""
    t = x * x
    t *= 0.044715 * _K_TANH
    t += _K_TANH
    t *= x
    return np.tanh(t, out=t)


def gelu(x, approximate):
    """x * Phi(x): Phi from erf ('none') or the tanh formula ('tanh'). Returns (y, saved): y of x's
    shape and dtype; `saved` (float32, or float64 for float64 x) is Phi(x) for 'none' and
    tanh(k (x + 0.044715 x^3)) for 'tanh', which gelu_backward reads instead of computing again.
    float16/bfloat16 compute in float32."""
    xf = _up(x)
    saved = _gelu_tanh_inner(xf) if approximate == "tanh" else erf(xf * _INV_SQRT2).astype(xf.dtype, copy=False)
    if approximate != "tanh":
        saved += 1.0
        saved *= 0.5
    if approximate == "tanh":
        y = saved + 1.0
        y *= 0.5
        y *= xf
    else:
        y = saved * xf
    return y.astype(x.dtype, copy=False), saved


def gelu_backward(g, x, approximate, saved=None):
    """g * d gelu(x) / dx, x's dtype. `saved`: gelu's second result for this x (None: computed)."""
    gf, xf = _up(g), _up(x)
    if approximate == "tanh":
        t = _gelu_tanh_inner(xf) if saved is None else saved
        d = np.multiply(t, t)                       # 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 0.044715 x^2)
        np.subtract(1.0, d, out=d)
        d *= xf
        u = xf * xf
        u *= 3 * 0.044715 * 0.5 * _K_TANH
        u += 0.5 * _K_TANH
        d *= u
        u = np.add(t, 1.0, out=u)
        u *= 0.5
        d += u
    else:
        d = xf * xf                                 # Phi(x) + x phi(x)
        d *= -0.5
        np.exp(d, out=d)
        d *= _INV_SQRT_2PI
        d *= xf
        d += gelu(x, approximate)[1] if saved is None else saved
    d *= gf
    return d.astype(x.dtype, copy=False)
