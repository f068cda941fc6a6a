"""CPU-only fused primitives (no cuda twin yet): GELU forward/backward and layer_norm's backward.

The autograd Functions that use them (F.gelu, F.layer_norm) check `hasattr(backend, name)` and
fall back to Tensor ops on a backend without them, so the cuda device computes the same math
unfused. float16/bfloat16 compute in float32 and round back.
"""
import math

import numpy as np

from .elementwise import erf
from .nn import _rows_axes, _stat_dtype, _up

__all__ = ["gelu", "gelu_backward", "layer_norm_backward"]


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
    """x * Phi(x): Phi from erf ('none') or the tanh formula ('tanh'). Same shape and dtype as x;
    float16/bfloat16 compute in float32."""
    xf = _up(x)
    if approximate == "tanh":
        cdf = _gelu_tanh_inner(xf)
    else:
        cdf = erf(xf * _INV_SQRT2).astype(xf.dtype, copy=False)
    cdf += 1.0
    cdf *= 0.5
    cdf *= xf
    return cdf.astype(x.dtype, copy=False)


def gelu_backward(g, x, approximate):
    """g * d gelu(x) / dx, x's dtype."""
    gf, xf = _up(g), _up(x)
    if approximate == "tanh":
        t = _gelu_tanh_inner(xf)
        d = np.multiply(t, t)                       # 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 0.044715 x^2)
        np.subtract(1.0, d, out=d)
        d *= xf
        u = xf * xf
        u *= 3 * 0.044715 * 0.5 * _K_TANH
        u += 0.5 * _K_TANH
        d *= u
        t += 1.0
        t *= 0.5
        d += t
    else:
        d = xf * xf                                 # Phi(x) + x phi(x)
        d *= -0.5
        np.exp(d, out=d)
        d *= _INV_SQRT_2PI
        d *= xf
        cdf = erf(xf * _INV_SQRT2).astype(xf.dtype, copy=False)
        cdf += 1.0
        cdf *= 0.5
        d += cdf
    d *= gf
    return d.astype(x.dtype, copy=False)


# -- layer_norm backward -------------------------------------------------------------------------------
def layer_norm_backward(g, x, w, mean, rstd, normalized_ndim, need_w, need_b):
    """Gradients of layer_norm for output gradient g: (gx (x's shape and dtype), gw, gb (the
    normalized shape, w's dtype; None unless asked))."""
    axes = _rows_axes(x, normalized_ndim)
    lead = tuple(range(x.ndim - normalized_ndim))
    sd = _stat_dtype(x)
    xhat = _up(x).astype(sd, copy=True)
    xhat -= mean
    xhat *= rstd
    gs = _up(g).astype(sd, copy=False)
    gw = (gs * xhat).sum(axis=lead) if need_w else None
    gb = gs.sum(axis=lead) if need_b else None
    wdy = gs * _up(w).astype(sd, copy=False) if w is not None else gs.copy()
    m1 = wdy.mean(axis=axes, keepdims=True)
    m2 = (xhat * wdy).mean(axis=axes, keepdims=True)
    xhat *= m2
    wdy -= xhat
    wdy -= m1
    wdy *= rstd
    wd = w.dtype if w is not None else x.dtype
    return (wdy.astype(x.dtype, copy=False), None if gw is None else gw.astype(wd, copy=False),
            None if gb is None else gb.astype(g.dtype, copy=False))
