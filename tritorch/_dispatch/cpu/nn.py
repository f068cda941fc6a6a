"""Fused neural-network primitives on numpy arrays: linear (+ activation), layer/RMS norm,
cross-entropy, pooling, and convolution (written in conv.py, listed here as the cuda twin's family).

Each is one function that the cuda backend maps to one Triton kernel. Inputs are raw arrays
and plain Python values; float16/bfloat16 compute in float32 and round back, statistics
(mean, rstd, lse) are float32 (float64 for float64 inputs).
"""
import functools
import math

import ml_dtypes
import numpy as np

from ._quiet import quiet
from .conv import _pad_input, _windows, conv2d, conv2d_input_grad, conv2d_weight_grad
from .elementwise import _relu, _sigmoid, erf
from .maxpool2x2 import max_pool2d_2x2

__all__ = ["linear", "rms_norm", "cross_entropy", "conv2d", "conv2d_input_grad", "conv2d_weight_grad", "max_pool2d",
           "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]

_LOW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))


def _up(a):
    return a.astype(np.float32) if a is not None and a.dtype in _LOW else a


def _stat_dtype(a):
    return np.float64 if a.dtype == np.float64 else np.float32


# -- linear ---------------------------------------------------------------------------------------
def _activate(z, activation):
    if activation == "none":
        return z
    if activation == "relu":
        return _relu(z)
    if activation == "gelu":
        return z * 0.5 * (1.0 + erf(z * (1.0 / math.sqrt(2.0))))  # a Python float keeps z's dtype
    if activation == "gelu_tanh":
        return 0.5 * z * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (z + 0.044715 * z ** 3)))
    if activation == "silu":
        return z * _sigmoid(z)
    raise ValueError(f"linear: unknown activation '{activation}'")


@functools.cache
def _openblas():
    try:
        return "openblas" in np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"].lower()
    except Exception:  # pragma: no cover - a numpy without the build record
        return False


def _x_wt_b(x2, w, b):
    """x2 @ w.T (+ b) for x2 (M, K), w (N, K), b (N,) or None: (M, N), C-contiguous. OpenBLAS multiplies
    short float32 inputs (8 <= M <= 96 rows, K and N >= 256) 10-50% faster as (w @ x2.T).T, the same
    products (bit for bit as measured, docs/benchmarks.md); the bias is added in the copy back to rows.
    An MLP's forward at batch 64 spends most of its time here."""
    m, k = x2.shape
    if 8 <= m <= 96 and k >= 256 and w.shape[0] >= 256 and x2.dtype == w.dtype == np.float32 and _openblas():
        zt = (w @ x2.T).T
        return np.ascontiguousarray(zt) if b is None else np.add(zt, b, out=np.empty(zt.shape, zt.dtype))
    z = x2 @ w.T
    if b is not None:
        z += b  # z is ours: in place
    return z


def _linear(x, w, b, activation):
    xf = _up(x)
    # numpy's matmul reaches BLAS only for 2-D operands: fold the leading dims (12x faster for (1, T, C))
    z = _x_wt_b(xf.reshape(math.prod(xf.shape[:-1]), xf.shape[-1]), _up(w), _up(b))
    return np.asarray(_activate(z.reshape(xf.shape[:-1] + (w.shape[0],)), activation)).astype(x.dtype, copy=False)


def linear(x, w, b, activation="none"):
    """activation(x @ w.T + b). x: (..., in); w: (out, in); b: (out,) or None -> (..., out), x's dtype."""
    return quiet(_linear, x, w, b, activation)


# -- normalisation ----------------------------------------------------------------------------------
def _rows_axes(x, normalized_ndim):
    return tuple(range(x.ndim - normalized_ndim, x.ndim))


def rms_norm(x, normalized_ndim, w, eps):
    """y = x / sqrt(mean(x^2) + eps) * w over the last `normalized_ndim` dims: (y, rstd)."""
    axes = _rows_axes(x, normalized_ndim)
    xf = _up(x).astype(_stat_dtype(x), copy=False)
    rstd = 1.0 / np.sqrt(np.square(xf).mean(axis=axes, keepdims=True) + eps)
    y = xf * rstd
    if w is not None:
        y = y * _up(w)
    return y.astype(x.dtype, copy=False), rstd


# -- cross-entropy ------------------------------------------------------------------------------------
def check_targets(t, c):
    """PyTorch's IndexError for a class index outside [0, c). int64 targets are read as unsigned, so that
    one max finds negatives (wrapped to huge values) and indices >= c alike."""
    if not t.size:
        return
    high = t.view(np.uint64).max() >= c if t.dtype == np.int64 else (t.min() < 0 or t.max() >= c)
    if high:
        bad = int(t[(t < 0) | (t >= c)][0])
        raise IndexError(f"Target {bad} is out of bounds.")


def cross_entropy(logits, target, weight, ignore_index, label_smoothing):
    """Per-row cross-entropy of (N, C) logits against (N,) int class indices, in one stable pass.

    loss_i = (1 - eps) * w[t_i] * (lse_i - x[i, t_i]) + eps / C * sum_c w[c] * (lse_i - x[i, c]),
    0 where t_i == ignore_index (w = 1 without weight). Returns (loss (N,), lse (N,)), float32
    (float64 for float64 logits). Raises IndexError for a target outside [0, C)."""
    x = _up(logits).astype(_stat_dtype(logits), copy=False)
    n, c = x.shape
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    check_targets(t, c)
    m = x.max(axis=1, keepdims=True) if c else np.zeros((n, 1), x.dtype)
    m = np.where(m == -np.inf, 0, m)  # a row of -inf: NaN from log(0) - -inf; a +inf or NaN logit: NaN (PyTorch)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = x - m  # shifted logits: the loss is formed from these, so no precision is lost at large |x|
        log_sum = np.log(np.exp(z).sum(axis=1))
        w = None if weight is None else weight.astype(x.dtype, copy=False)
        nll = log_sum - z[np.arange(n), t]
        if w is not None:
            nll = nll * w[t]
        loss = (1.0 - label_smoothing) * nll
        if label_smoothing:
            neg = log_sum[:, None] - z
            smooth = (neg * w).sum(axis=1) if w is not None else neg.sum(axis=1)
            loss = loss + label_smoothing / c * smooth
    return np.where(keep, loss, 0).astype(x.dtype), log_sum + m[:, 0]


# -- pooling ----------------------------------------------------------------------------------------
def _pool_out(size, k, stride, pad, dilation, ceil_mode):
    eff = size + 2 * pad - dilation * (k - 1) - 1
    out = (-(-eff // stride) if ceil_mode else eff // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:  # the last window must start inside the input
        out -= 1
    return out


def _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode):
    h, w = x.shape[2:]
    ho = _pool_out(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    wo = _pool_out(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    # extra bottom/right padding so that every (ceil_mode) window lies inside the padded array
    eb = max((ho - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1 - (h + 2 * padding[0]), 0)
    er = max((wo - 1) * stride[1] + dilation[1] * (kernel[1] - 1) + 1 - (w + 2 * padding[1]), 0)
    return ho, wo, ((padding[0], padding[0] + eb), (padding[1], padding[1] + er))


def _first_inside(start, dilation):
    """The first tap position >= 0 of windows starting at `start` (negative inside the padding)."""
    return np.where(start < 0, start + (-start + dilation - 1) // dilation * dilation, start)


def max_pool2d(x, kernel, stride, padding, dilation, ceil_mode):
    """x: (N, C, H, W) -> (values (N, C, Ho, Wo), indices int64 into the flattened H * W plane).

    One pass per kernel tap over strided views, PyTorch's CPU rule: a tap replaces the running
    maximum when it is greater or NaN (NaN propagates); padding never wins."""
    if tuple(kernel) == tuple(stride) == (2, 2) and tuple(padding) == (0, 0) and tuple(dilation) == (1, 1):
        fast = max_pool2d_2x2(_up(x), ceil_mode)
        if fast is not None:
            return fast[0].astype(x.dtype, copy=False), fast[1]
    n, c, h, w = x.shape
    (kh, kw), (dh, dw) = kernel, dilation
    ho, wo, pads = _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode)
    xf = _up(x)
    win = _windows(_pad_input(xf, pads, -np.inf), kh, kw, stride, dilation, ho, wo)
    r0 = np.arange(ho) * stride[0] - padding[0]
    c0 = np.arange(wo) * stride[1] - padding[1]
    # the running argmax as a tap number (small ints: less memory traffic), starting at the first
    # tap inside the input, which PyTorch reports for a window of -inf
    first = (_first_inside(r0, dh) - r0)[:, None] // dh * kw + (_first_inside(c0, dw) - c0)[None, :] // dw
    tap_dtype = np.int16 if kh * kw < 2 ** 15 else np.int64
    best = np.full((n, c, ho, wo), -np.inf, win.dtype)
    tap = np.broadcast_to(first.astype(tap_dtype), best.shape).copy()
    upd = np.empty(best.shape, np.bool_)
    nan = np.empty(best.shape, np.bool_) if np.isnan(xf).any() else None
    step = np.empty(best.shape, tap_dtype)
    # branch-free updates (a masked copy mispredicts on random data): taps come in increasing
    # order, so tap = max(tap, k * updated) picks k exactly where this tap won
    for i in range(kh):
        for j in range(kw):
            v = win[:, :, i, j]
            np.greater(v, best, out=upd)
            if nan is not None:
                np.not_equal(v, v, out=nan)
                upd |= nan
            np.maximum(best, v, out=best)  # NaN propagates
            np.multiply(upd, tap_dtype(i * kw + j), out=step)
            np.maximum(tap, step, out=tap)
    ki, kj = np.divmod(tap.astype(np.int64), kw)
    index = (ki * dh + r0[:, None]) * w + (kj * dw + c0[None, :])
    return best.astype(x.dtype, copy=False), index


def max_pool2d_backward(g, indices, input_shape):
    """Scatter-add g (N, C, Ho, Wo) to the argmax positions `indices`: (N, C, H, W)."""
    n, c, h, w = input_shape
    gf = _up(g)
    out = np.zeros(n * c * h * w, gf.dtype)
    planes = np.arange(n * c, dtype=np.int64)[:, None] * (h * w)
    np.add.at(out, (indices.reshape(n * c, -1) + planes).reshape(-1), gf.reshape(-1))  # 1-D add.at: numpy's fast path
    return out.reshape(input_shape).astype(g.dtype, copy=False)


def _avg_divisor(x_hw, kernel, stride, padding, ho, wo, count_include_pad, divisor_override):
    if divisor_override:
        return np.float64(divisor_override)
    h, w = x_hw
    r0 = np.arange(ho) * stride[0] - padding[0]
    c0 = np.arange(wo) * stride[1] - padding[1]
    if count_include_pad:  # windows clipped to the padded input, as PyTorch counts them
        rn = np.minimum(r0 + kernel[0], h + padding[0]) - r0
        cn = np.minimum(c0 + kernel[1], w + padding[1]) - c0
    else:
        rn = np.minimum(r0 + kernel[0], h) - np.maximum(r0, 0)
        cn = np.minimum(c0 + kernel[1], w) - np.maximum(c0, 0)
    return (rn[:, None] * cn[None, :]).astype(np.float64)


def avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """x: (N, C, H, W) -> (N, C, Ho, Wo), PyTorch's divisor rules (count_include_pad, override)."""
    n, c, h, w = x.shape
    ho, wo, pads = _pool_geometry(x, kernel, stride, padding, (1, 1), ceil_mode)
    win = _windows(_pad_input(_up(x), pads), kernel[0], kernel[1], stride, (1, 1), ho, wo)
    total = win.sum(axis=(2, 3))
    div = _avg_divisor((h, w), kernel, stride, padding, ho, wo, count_include_pad, divisor_override)
    return (total / div).astype(x.dtype, copy=False)


def avg_pool2d_backward(g, input_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Spread g (N, C, Ho, Wo) evenly over each window: (N, C, H, W); one strided add per tap."""
    n, c, h, w = input_shape
    ho, wo = g.shape[2:]
    div = _avg_divisor((h, w), kernel, stride, padding, ho, wo, count_include_pad, divisor_override)
    share = _up(g) / div
    hp = max(h + 2 * padding[0], (ho - 1) * stride[0] + kernel[0])
    wp = max(w + 2 * padding[1], (wo - 1) * stride[1] + kernel[1])
    out = np.zeros((n, c, hp, wp), share.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            out[:, :, i:i + stride[0] * (ho - 1) + 1:stride[0], j:j + stride[1] * (wo - 1) + 1:stride[1]] += share
    return out[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w].astype(g.dtype, copy=False)
