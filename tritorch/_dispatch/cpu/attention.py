"""Fused scaled dot-product attention on numpy arrays: forward (output and row log-sum-exp) and
backward, the CPU twins of the flash-attention kernels (`tritorch.kernels.attention`).

Layout ``(batch, heads, seq, head_dim)``. k and v may have fewer heads than q (grouped-query
attention: query head h reads kv head ``h // (H // H_kv)``). ``mask``: None, bool (True = take
part) or float (added to the scores), broadcastable to ``(B, H, Lq, Lk)``. ``is_causal``: query i
attends keys ``j <= i`` (top-left aligned, as PyTorch). A query row with no key to attend has
output 0 and LSE +inf, and gets zero gradients. Dropout keeps score (b, h, i, j) iff a uniform
draw from ``numpy.random.default_rng(seed)`` over the ``(B, H, Lq, Lk)`` grid is ``>= dropout_p``;
the backward regenerates the same mask from the seed.

float16/bfloat16 compute in float32; LSE is float32 (float64 for float64 inputs).
"""
import math

import ml_dtypes
import numpy as np

__all__ = ["attention", "attention_backward", "attention_dropout_mask"]

_LOW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))


def _up(a):
    return a.astype(np.float32) if a.dtype in _LOW else a


def _grouped(x, h_kv):
    """(B, H, L, D) -> (B, H_kv, H // H_kv, L, D), a view: query heads grouped by their kv head."""
    b, h, n, d = x.shape
    return x.reshape(b, h_kv, h // h_kv, n, d)


def attention_dropout_mask(shape, dropout_p, seed):
    """The bool keep mask (B, H, Lq, Lk) that `attention(..., dropout_p, seed)` applies."""
    return np.random.default_rng(seed).random(shape) >= dropout_p


def _probabilities(q, k, mask, is_causal, scale):
    """(P, LSE, rows_alive) with P: (B, H_kv, G, Lq, Lk) in the compute dtype (0 where masked)."""
    h_kv = k.shape[1]
    s = np.matmul(_grouped(q, h_kv), k[:, :, None].swapaxes(-1, -2))  # a new array: the rest is in place
    s *= scale
    s = s.reshape(q.shape[0], q.shape[1], q.shape[2], k.shape[2])
    keep = None
    if is_causal:
        keep = np.tril(np.ones(s.shape[-2:], bool))
    if mask is not None:
        if mask.dtype == np.bool_:
            keep = mask if keep is None else keep & mask
        else:
            s = s + _up(mask).astype(s.dtype, copy=False)  # may broadcast s up: not in place
    if keep is not None:
        np.copyto(s, -np.inf, where=~np.broadcast_to(keep, s.shape))
    row_max = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.full(s.shape[:-1] + (1,), -np.inf, s.dtype)
    alive = np.isfinite(row_max)
    with np.errstate(invalid="ignore"):  # a +inf (or NaN) score makes its row NaN, as PyTorch's softmax
        s -= np.where(row_max == -np.inf, 0, row_max)
    p = np.exp(s, out=s)
    total = p.sum(axis=-1, keepdims=True)
    alive &= total > 0
    p /= np.where(alive, total, 1)
    with np.errstate(divide="ignore"):
        lse = np.where(alive, row_max + np.log(np.where(alive, total, 1)), np.inf)[..., 0]
    return _grouped(p, h_kv), lse


def _scale(q, scale):
    return 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)


def attention(q, k, v, mask, is_causal, scale, dropout_p, seed):
    """``dropout(softmax(scale * q @ k^T + mask)) @ v``.

    q: (B, H, Lq, E); k: (B, H_kv, Lk, E); v: (B, H_kv, Lk, Ev), one float dtype; scale None means
    1 / sqrt(E). Returns (out (B, H, Lq, Ev) of q's dtype, lse (B, H, Lq))."""
    qf, kf, vf = _up(q), _up(k), _up(v)
    p, lse = _probabilities(qf, kf, mask, is_causal, _scale(q, scale))
    if dropout_p:
        keep = attention_dropout_mask(q.shape[:3] + k.shape[2:3], dropout_p, seed)
        p = p * _grouped(keep, k.shape[1]) / (1.0 - dropout_p)
    out = np.matmul(p, vf[:, :, None]).reshape(q.shape[:3] + v.shape[3:])
    return out.astype(q.dtype, copy=False), lse.astype(np.float64 if q.dtype == np.float64 else np.float32)


def attention_backward(grad_out, q, k, v, out, lse, mask, is_causal, scale, dropout_p, seed):
    """Gradients (dq, dk, dv) of `attention`, shaped and typed like q, k and v; dk and dv sum over
    the query heads that share a kv head. `out` and `lse` are the forward's results (P is
    recomputed from the scores; ``delta = rowsum(dO * O)``)."""
    qf, kf, vf, gf = _up(q), _up(k), _up(v), _up(grad_out)
    h_kv = k.shape[1]
    scale = _scale(q, scale)
    p, _ = _probabilities(qf, kf, mask, is_causal, scale)
    g = _grouped(gf, h_kv)
    dp = np.matmul(g, vf[:, :, None].swapaxes(-1, -2))
    if dropout_p:
        keep = _grouped(attention_dropout_mask(q.shape[:3] + k.shape[2:3], dropout_p, seed), h_kv) / (1.0 - dropout_p)
        pd, dp = p * keep, dp * keep
    else:
        pd = p
    delta = (g * _grouped(_up(out), h_kv)).sum(axis=-1, keepdims=True)
    dp -= delta
    ds = np.multiply(p, dp, out=dp)
    dq = np.matmul(ds, kf[:, :, None]) * scale
    dk = np.matmul(ds.swapaxes(-1, -2), _grouped(qf, h_kv)).sum(axis=2) * scale
    dv = np.matmul(pd.swapaxes(-1, -2), g).sum(axis=2)
    return (dq.reshape(q.shape).astype(q.dtype, copy=False), dk.astype(k.dtype, copy=False),
            dv.astype(v.dtype, copy=False))
