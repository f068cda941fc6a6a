"""layer_norm forward and backward on the CPU, in blocks of rows that stay in cache.

numpy makes one pass over memory per operation, and layer norm needs about 6 of them forward and
12 backward. On a (4096, 1024) float32 input every pass from main memory costs 1-2 ms, so the rows
go through in blocks of about _BLOCK elements (512 KiB of float32, inside a 2 MiB L2 cache): only a
block's first read and last write reach memory. Row sums of products (x.x, xhat.dy) are einsum
contractions, which read both operands once and allocate nothing. Measured on that input, one
thread: forward 14.1 -> 5.6 ms, backward 23.5 -> 10 ms. With the optional [jit] extra (numba),
jit.py's compiled row loops run instead for float32/float64: 2.0 ms and 3.8 ms.

float16/bfloat16 compute in float32 and round back; statistics (mean, rstd) are float32 (float64 for
float64 input), shaped x.shape[:-normalized_ndim] + (1,) * normalized_ndim.
"""
import math

import numpy as np

from . import jit
from ._quiet import quiet
from .nn import _stat_dtype, _up

__all__ = ["layer_norm", "layer_norm_backward"]

_BLOCK = 1 << 17


def _rows(a, c, dtype):
    """a as (rows, c) in `dtype` (a view when a is contiguous and already that dtype)."""
    return np.asarray(a).reshape(-1, c).astype(dtype, copy=False)


def _vector(v, c, dtype):
    return None if v is None else _up(v).reshape(c).astype(dtype, copy=False)


def _layer_norm(x, normalized_ndim, w, b, eps):
    shape, sd = x.shape, _stat_dtype(x)
    c = math.prod(shape[x.ndim - normalized_ndim:])
    x2 = x.reshape(-1, c)
    n = x2.shape[0]
    w1, b1 = _vector(w, c, sd), _vector(b, c, sd)
    y, mean, rstd = np.empty((n, c), sd), np.empty((n, 1), sd), np.empty((n, 1), sd)
    step = max(1, _BLOCK // max(c, 1))
    for s in range(0, n, step):
        xb, yb = x2[s:s + step].astype(sd, copy=False), y[s:s + step]
        m = np.add.reduce(xb, axis=1, keepdims=True)
        m /= c
        np.subtract(xb, m, out=yb)
        r = np.einsum("ij,ij->i", yb, yb)[:, None]
        r /= c
        r += eps
        np.sqrt(r, out=r)
        np.reciprocal(r, out=r)
        yb *= r
        if w1 is not None:
            yb *= w1
        if b1 is not None:
            yb += b1
        mean[s:s + step], rstd[s:s + step] = m, r
    stat_shape = shape[:x.ndim - normalized_ndim] + (1,) * normalized_ndim
    return y.reshape(shape).astype(x.dtype, copy=False), mean.reshape(stat_shape), rstd.reshape(stat_shape)


_JIT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _jit_ok(x):
    """Whether jit.py's compiled loops take this input: float32/float64, not empty, numba there."""
    return x.dtype in _JIT_DTYPES and x.size > 0 and jit.available()


def _jit_vector(v, c, dtype, fill):
    return np.full(c, fill, dtype) if v is None else np.ascontiguousarray(v.reshape(c), dtype)


def layer_norm(x, normalized_ndim, w, b, eps):
    """Normalise over the last `normalized_ndim` dims of x: (y, mean, rstd). y: x's shape and dtype;
    w, b: the normalized shape or None."""
    if _jit_ok(x):
        shape, c = x.shape, math.prod(x.shape[x.ndim - normalized_ndim:])
        y, mean, rstd = jit.layer_norm(np.ascontiguousarray(x.reshape(-1, c)), _jit_vector(w, c, x.dtype, 1),
                                       _jit_vector(b, c, x.dtype, 0), eps)
        stat_shape = shape[:x.ndim - normalized_ndim] + (1,) * normalized_ndim
        return y.reshape(shape), mean.reshape(stat_shape), rstd.reshape(stat_shape)
    return quiet(_layer_norm, x, normalized_ndim, w, b, eps)


def _layer_norm_backward(g, x, w, mean, rstd, normalized_ndim, need_w, need_b):
    shape, sd = x.shape, _stat_dtype(x)
    c = math.prod(shape[x.ndim - normalized_ndim:])
    x2, g2 = x.reshape(-1, c), np.asarray(g).reshape(-1, c)
    n = x2.shape[0]
    mean2, rstd2 = _rows(mean, 1, sd), _rows(rstd, 1, sd)
    w1 = _vector(w, c, sd)
    gx = np.empty((n, c), sd)
    gw = np.zeros(c, sd) if need_w else None
    gb = np.zeros(c, sd) if need_b else None
    step = max(1, _BLOCK // max(c, 1))
    xhat = np.empty((min(step, n), c), sd)
    for s in range(0, n, step):
        xb, gblk, gxb = x2[s:s + step].astype(sd, copy=False), g2[s:s + step].astype(sd, copy=False), gx[s:s + step]
        xh, r = xhat[:xb.shape[0]], rstd2[s:s + step]
        np.subtract(xb, mean2[s:s + step], out=xh)
        xh *= r
        if need_w:
            gw += np.einsum("ij,ij->j", gblk, xh)
        if need_b:
            gb += np.add.reduce(gblk, axis=0)
        if w1 is not None:  # gx = rstd * (w*g - mean(w*g) - xhat * mean(xhat * w*g)), per row
            np.multiply(gblk, w1, out=gxb)
        else:
            gxb[...] = gblk
        m1 = np.add.reduce(gxb, axis=1, keepdims=True)
        m1 /= c
        m2 = np.einsum("ij,ij->i", xh, gxb)[:, None]
        m2 /= c
        xh *= m2
        gxb -= xh
        gxb -= m1
        gxb *= r
    norm_shape = shape[x.ndim - normalized_ndim:]
    wd = w.dtype if w is not None else x.dtype
    return (gx.reshape(shape).astype(x.dtype, copy=False),
            None if gw is None else gw.reshape(norm_shape).astype(wd, copy=False),
            None if gb is None else gb.reshape(norm_shape).astype(g.dtype, copy=False))


def layer_norm_backward(g, x, w, mean, rstd, normalized_ndim, need_w, need_b):
    """Gradients of layer_norm for output gradient g (x's shape): (gx (x's shape and dtype), gw, gb
    (the normalized shape, w's / g's dtype; None unless asked))."""
    if _jit_ok(x) and g.dtype == x.dtype and (w is None or w.dtype == x.dtype):
        shape, c = x.shape, math.prod(x.shape[x.ndim - normalized_ndim:])
        rows = lambda a, k: np.ascontiguousarray(np.asarray(a).reshape(-1, k), x.dtype)  # noqa: E731
        gx, gw, gb = jit.layer_norm_backward(rows(g, c), rows(x, c), _jit_vector(w, c, x.dtype, 1),
                                             rows(mean, 1)[:, 0], rows(rstd, 1)[:, 0])
        norm_shape = shape[x.ndim - normalized_ndim:]
        return gx.reshape(shape), gw.reshape(norm_shape) if need_w else None, gb.reshape(norm_shape) if need_b else None
    return quiet(_layer_norm_backward, g, x, w, mean, rstd, normalized_ndim, need_w, need_b)
