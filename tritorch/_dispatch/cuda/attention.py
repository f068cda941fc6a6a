"""Fused scaled dot-product attention on the device: the twins of `_dispatch/cpu/attention.py`.

float32/float16/bfloat16 run the flash-attention kernels (`kernels.attention`: forward with
LSE, dq and dk/dv backward, causal, bool/float masks, GQA, Philox dropout). A value head dim
Ev different from the query/key head dim E is zero-padded to max(E, Ev) (zeros change no score
and no output column), then cropped. float64, which the kernels do not take, is the same math
composed from the backend's matmul/reduce/elementwise primitives, still on the device.

Dropout masks are Philox draws keyed by `seed` (`attention_dropout_mask`), not numpy's stream as
on the CPU: on each device the forward, the backward and `attention_dropout_mask` agree.
"""
import math

import numpy as np

from tritorch import cuda
from tritorch.kernels.attention import attention as _attention, attention_backward as _attention_backward, \
    attention_dropout_mask as _dropout_mask
from tritorch.kernels.elementwise import elementwise
from tritorch.kernels.reduce import reduce as _reduce

from .linalg import matmul

__all__ = ["attention", "attention_backward", "attention_dropout_mask"]

_FUSED = (np.dtype(np.float32), np.dtype(np.float16), cuda.as_dtype("bfloat16"))


def attention_dropout_mask(shape, dropout_p, seed):
    """The bool keep mask (B, H, Lq, Lk) that `attention(..., dropout_p, seed)` applies."""
    return _dropout_mask(shape, dropout_p, seed)


def _scale(q, scale):
    return 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)


def _pad_last(x, n):
    """x (..., d) zero-padded to (..., n); x itself when d == n."""
    if x.shape[-1] == n:
        return x
    out = cuda.zeros(x.shape[:-1] + (n,), x.dtype)
    out[..., :x.shape[-1]] = x
    return out


def attention(q, k, v, mask, is_causal, scale, dropout_p, seed):
    """``dropout(softmax(scale * q @ k^T + mask)) @ v``.

    q: (B, H, Lq, E); k: (B, H_kv, Lk, E); v: (B, H_kv, Lk, Ev), one float dtype; scale None means
    1 / sqrt(E). Returns (out (B, H, Lq, Ev) of q's dtype, lse (B, H, Lq) float32; float64 for float64)."""
    if q.dtype not in _FUSED:
        return _math_forward(q, k, v, mask, is_causal, _scale(q, scale), dropout_p, seed)[:2]
    e, ev = q.shape[-1], v.shape[-1]
    d = max(e, ev)
    out, lse = _attention(_pad_last(q, d), _pad_last(k, d), _pad_last(v, d), causal=is_causal,
                            scale=_scale(q, scale), mask=mask, dropout_p=dropout_p, seed=seed, return_lse=True)
    return (out if ev == d else out[..., :ev]), lse


def attention_backward(grad_out, q, k, v, out, lse, mask, is_causal, scale, dropout_p, seed):
    """Gradients (dq, dk, dv) of `attention`, shaped and typed like q, k and v; dk and dv sum over
    the query heads that share a kv head."""
    if q.dtype not in _FUSED:
        return _math_backward(grad_out, q, k, v, mask, is_causal, _scale(q, scale), dropout_p, seed)
    e, ev = q.shape[-1], v.shape[-1]
    d = max(e, ev)
    dq, dk, dv = _attention_backward(_pad_last(grad_out, d), _pad_last(q, d), _pad_last(k, d), _pad_last(v, d),
                                       _pad_last(out, d), lse, causal=is_causal, scale=_scale(q, scale), mask=mask,
                                       dropout_p=dropout_p, seed=seed)
    return (dq if e == d else dq[..., :e]), (dk if e == d else dk[..., :e]), (dv if ev == d else dv[..., :ev])


# -- float64: the same math in backend primitives ------------------------------------------------------
def _ew(op, *operands, dtype=np.float64):
    return elementwise(op, list(operands), dtype, compute=dtype)


def _grouped(x, h_kv):
    """(B, H, L, D) -> (B, H_kv, G * L, D): query heads stacked under their kv head."""
    b, h, n, d = x.shape
    try:
        return x.reshape(b, h_kv, (h // h_kv) * n, d)
    except ValueError:
        return x.contiguous().reshape(b, h_kv, (h // h_kv) * n, d)


def _math_forward(q, k, v, mask, is_causal, scale, dropout_p, seed):
    """(out, lse, P, dropout keep-scale or None) with P: (B, H, Lq, Lk), 0 on rows with no key."""
    b, h, lq, _ = q.shape
    h_kv, lk = k.shape[1], k.shape[2]
    s = _ew("mul", matmul(_grouped(q, h_kv), k.transpose(-1, -2)), scale).reshape(b, h, lq, lk)
    if is_causal:
        keep = elementwise("tril", [cuda.full((lq, lk), True, np.bool_), lk, 0], np.bool_, n_rows=lq)
        s = _ew("where", keep, s, -math.inf)
    if mask is not None:
        s = _ew("where", mask, s, -math.inf) if mask.dtype == np.bool_ else _ew("add", s, mask)
    if lk:
        row_max = _reduce("amax", s, (3,), s.dtype).reshape(b, h, lq, 1)
    else:
        row_max = cuda.full((b, h, lq, 1), -math.inf, s.dtype)
    alive = elementwise("isfinite", [row_max])
    e = _ew("exp", _ew("sub", s, _ew("where", alive, row_max, 0.0)))
    total = _reduce("sum", e, (3,), s.dtype).reshape(b, h, lq, 1)
    alive = elementwise("logical_and", [alive, elementwise("gt", [total, 0.0])], compute=np.int64)
    p = _ew("div", e, _ew("where", alive, total, 1.0))
    lse = _ew("where", alive, _ew("add", row_max, _ew("log", _ew("where", alive, total, 1.0))), math.inf)
    keep_scale = None
    pd = p
    if dropout_p:
        keep_scale = _ew("mul", attention_dropout_mask((b, h, lq, lk), dropout_p, seed), 1.0 / (1.0 - dropout_p))
        pd = _ew("mul", p, keep_scale)
    out = matmul(_grouped(pd, h_kv), v).reshape(b, h, lq, v.shape[-1])
    return out, lse.reshape(b, h, lq), p, keep_scale


def _fold(x, h_kv):
    """(B, H, L, D) -> (B, H_kv, L, D), summing the query heads of each kv group."""
    b, h, n, d = x.shape
    return x if h == h_kv else _reduce("sum", x.reshape(b, h_kv, h // h_kv, n, d), (2,), x.dtype)


def _math_backward(g, q, k, v, mask, is_causal, scale, dropout_p, seed):
    b, h, lq, _ = q.shape
    h_kv = k.shape[1]
    _, _, p, keep_scale = _math_forward(q, k, v, mask, is_causal, scale, dropout_p, seed)
    dp = matmul(_grouped(g, h_kv), v.transpose(-1, -2)).reshape(p.shape)
    pd = p
    if keep_scale is not None:
        pd, dp = _ew("mul", p, keep_scale), _ew("mul", dp, keep_scale)
    delta = _reduce("sum", _ew("mul", p, dp), (3,), p.dtype).reshape(b, h, lq, 1)
    ds = _ew("mul", p, _ew("sub", dp, delta))
    dq = _ew("mul", matmul(_grouped(ds, h_kv), k).reshape(q.shape), scale)
    dk = _ew("mul", _fold(matmul(ds.transpose(-1, -2), q), h_kv), scale)
    dv = _fold(matmul(pd.transpose(-1, -2), g), h_kv)
    return dq, dk, dv
