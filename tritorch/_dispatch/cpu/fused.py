"""CPU-only fused primitives (no cuda twin yet): GELU forward/backward, the backward of relu, linear and
cross-entropy (layer_norm's is in norm.py).

The autograd Functions that use them (F.gelu, F.layer_norm) check `hasattr(backend, name)` and
fall back to Tensor ops on a backend without them, so the cuda device computes the same math
unfused. float16/bfloat16 compute in float32 and round back.
"""
import math

import numpy as np

from .elementwise import erf
from .nn import _stat_dtype, _up, check_targets, cross_entropy
from ._quiet import quiet
from .reduce import softmax

__all__ = ["gelu", "gelu_backward", "relu_backward", "linear_backward", "cross_entropy_backward",
           "cross_entropy_reduced"]


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


# -- relu backward -----------------------------------------------------------------------------------
def relu_backward(g, y):
    """g where relu's output y > 0, else 0 (float32/float64 g and y of one shape): relu's gradient in one
    primitive instead of two Tensor ops."""
    return np.multiply(g, y > 0)


# -- linear and cross-entropy backward ---------------------------------------------------------------
def linear_backward(g, x, w, need_x, need_w, need_b):
    """Gradients of x @ w.T + b for g (..., out): gx (x's shape and dtype), gw (w's), gb ((out,), g's
    dtype); None where not needed."""
    out_f, in_f = w.shape
    g2 = _up(g).reshape(-1, out_f)
    gx = (g2 @ _up(w)).reshape(x.shape).astype(x.dtype, copy=False) if need_x else None
    gw = (g2.T @ _up(x).reshape(-1, in_f)).astype(w.dtype, copy=False) if need_w else None
    gb = np.add.reduce(g2, axis=0).astype(g.dtype, copy=False) if need_b else None
    return gx, gw, gb


def cross_entropy_backward(logits, target, weight, ignore_index, label_smoothing, g, stats=None):
    """d loss / d logits of cross_entropy above for the per-row upstream gradient g ((N,) or one value
    for every row): (N, C), logits' dtype. (1 - eps) w[t] (p - onehot(t)) + eps / C (sum(w) p - w), times
    g; 0 on ignored rows. `stats`: cross_entropy_reduced's (row max, row sum of exp, targets or None),
    which spare the softmax its two reductions (the same numbers)."""
    if stats is not None and stats[2] is not None and np.ndim(g) == 0:  # plain loss, no row ignored
        m, s, t = stats
        grad = quiet(_softmax_from_stats, logits, m, s)
        grad[np.arange(len(t)), t] -= 1.0
        grad *= np.asarray(g).astype(grad.dtype, copy=False)  # = times the per-row g of the general form
        return grad
    x = _up(logits).astype(_stat_dtype(logits), copy=False)
    n, c = x.shape
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    w = None if weight is None else _up(weight).astype(x.dtype, copy=False)
    gk = np.where(keep, _up(g).astype(x.dtype, copy=False), 0)
    if stats is None:
        grad = softmax(x, 1, False)  # the max-subtracted softmax: exact where exp(x - lse) is not
    else:
        grad = quiet(_softmax_from_stats, x, stats[0], stats[1])
    grad[np.arange(n), t] -= 1.0  # p - 1 before any scaling: no cancellation when p is near 1
    grad *= ((1.0 - label_smoothing) * (w[t] if w is not None else 1.0) * gk)[:, None]
    if label_smoothing:
        p = softmax(x, 1, False)
        smooth = (w.sum() * p - w) if w is not None else (c * p - 1.0)
        smooth *= (label_smoothing / c) * gk[:, None]
        grad += smooth
    return grad.astype(logits.dtype, copy=False)


def _softmax_from_stats(x, m, s):
    """softmax's own arithmetic, exp(x - m) / sum, with the forward's row max m (N, 1) and sum s (N,)."""
    p = np.subtract(x, m)
    np.exp(p, out=p)
    p /= s[:, None]
    return p


def cross_entropy_reduced(logits, target, weight, ignore_index, label_smoothing, reduction):
    """The 'mean' or 'sum' of cross_entropy's per-row losses: (0-d array in the rows' dtype, the mean's
    denominator or None, stats for cross_entropy_backward or None). The mean divides by the kept rows'
    summed class weights (their count without weights); every row ignored gives 0 / 0 = NaN, as
    PyTorch. Same arithmetic as the rows' Tensor sum and division."""
    n, c = logits.shape
    if weight is None and not label_smoothing and n and c and logits.dtype in (np.float32, np.float64) \
            and target.dtype == np.int64:
        return quiet(_plain_cross_entropy_reduced, logits, target, ignore_index, reduction)
    rows, _ = cross_entropy(logits, target, weight, ignore_index, label_smoothing)
    total, denom = np.add.reduce(rows), None
    if reduction == "mean":
        keep = target != ignore_index
        denom = (weight[np.where(keep, target, 0)].astype(rows.dtype) * keep.astype(rows.dtype)).sum() \
            if weight is not None else rows.dtype.type(keep.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            total = total / denom
    return np.asarray(total, rows.dtype), denom, None


def _plain_cross_entropy_reduced(x, target, ignore_index, reduction):
    """cross_entropy_reduced without class weights or smoothing (a classifier's usual loss) in ~12 numpy
    calls instead of ~30: cross_entropy's numbers bit for bit. Returns the stats for the backward too:
    (row max m (N, 1), row sum of exp(x - m) (N,), the targets when no row is ignored else None)."""
    n, c = x.shape
    keep = target != ignore_index
    kept = np.count_nonzero(keep)
    t = target if kept == n else np.where(keep, target, 0)
    check_targets(t, c)
    m = np.maximum.reduce(x, axis=1, keepdims=True)
    m = np.where(m == -np.inf, 0, m)  # as cross_entropy: a row of -inf gives NaN, not a shift by -inf
    z = x - m
    picked = z[np.arange(n), t]
    s = np.add.reduce(np.exp(z, out=z), axis=1)
    rows = np.log(s)
    rows -= picked
    if kept != n:
        rows = np.where(keep, rows, 0).astype(x.dtype, copy=False)
    total, denom = np.add.reduce(rows), None
    if reduction == "mean":
        denom = rows.dtype.type(kept)
        total = total / denom
    return np.asarray(total, rows.dtype), denom, (m, s, t if kept == n else None)
