"""Fused neural-network primitives on numpy arrays: linear (+ activation), layer/RMS norm,
cross-entropy, convolution (im2col through stride tricks) and pooling.

Each is one function that the cuda backend maps to one Triton kernel. Inputs are raw arrays
and plain Python values; float16/bfloat16 compute in float32 and round back, statistics
(mean, rstd, lse) are float32 (float64 for float64 inputs).
"""
import ml_dtypes
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .elementwise import _sigmoid, erf

__all__ = ["linear", "layer_norm", "rms_norm", "cross_entropy", "conv2d", "conv2d_input_grad",
           "conv2d_weight_grad", "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]

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
        return np.maximum(z, 0)
    if activation == "gelu":
        return z * 0.5 * (1.0 + erf(z / np.sqrt(2.0)))
    if activation == "gelu_tanh":
        return 0.5 * z * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (z + 0.044715 * z ** 3)))
    if activation == "silu":
        return z * _sigmoid(z)
    raise ValueError(f"linear: unknown activation '{activation}'")


def linear(x, w, b, activation="none"):
    """activation(x @ w.T + b). x: (..., in); w: (out, in); b: (out,) or None -> (..., out), x's dtype."""
    xf = _up(x)
    # numpy's matmul reaches BLAS only for 2-D operands: fold the leading dims (12x faster for (1, T, C))
    z = (xf.reshape(-1, xf.shape[-1]) @ _up(w).T).reshape(xf.shape[:-1] + (w.shape[0],))
    if b is not None:
        z = z + _up(b)
    with np.errstate(over="ignore"):
        return np.asarray(_activate(z, activation)).astype(x.dtype, copy=False)


# -- normalisation ----------------------------------------------------------------------------------
def _rows_axes(x, normalized_ndim):
    return tuple(range(x.ndim - normalized_ndim, x.ndim))


def layer_norm(x, normalized_ndim, w, b, eps):
    """Normalise over the last `normalized_ndim` dims: (y, mean, rstd). y: x's shape and dtype;
    mean/rstd: x.shape[:-normalized_ndim] + (1,) * normalized_ndim, float32 (float64 for float64 x)."""
    axes = _rows_axes(x, normalized_ndim)
    xf = _up(x).astype(_stat_dtype(x), copy=False)
    mean = xf.mean(axis=axes, keepdims=True)
    var = np.square(xf - mean).mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    y = (xf - mean) * rstd
    if w is not None:
        y = y * _up(w)
    if b is not None:
        y = y + _up(b)
    return y.astype(x.dtype, copy=False), mean, rstd


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
def cross_entropy(logits, target, weight, ignore_index, label_smoothing):
    """Per-row cross-entropy of (N, C) logits against (N,) int class indices, in one stable pass.

    loss_i = (1 - eps) * w[t_i] * (lse_i - x[i, t_i]) + eps / C * sum_c w[c] * (lse_i - x[i, c]),
    0 where t_i == ignore_index (w = 1 without weight). Returns (loss (N,), lse (N,)), float32
    (float64 for float64 logits). Raises IndexError for a target outside [0, C)."""
    x = _up(logits).astype(_stat_dtype(logits), copy=False)
    n, c = x.shape
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    if np.any((t < 0) | (t >= c)):
        bad = int(t[(t < 0) | (t >= c)][0])
        raise IndexError(f"Target {bad} is out of bounds.")
    m = x.max(axis=1, keepdims=True) if c else np.zeros((n, 1), x.dtype)
    m = np.where(np.isfinite(m), m, 0)
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


# -- convolution (NCHW, im2col through strided views) -----------------------------------------------
def _pad_input(x, padding, value=0):
    (pt, pb), (pl, pr) = padding
    if not (pt or pb or pl or pr):
        return x
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=value)


def _out_size(size, k, stride, pad, dilation):
    return (size + pad - dilation * (k - 1) - 1) // stride + 1


def _windows(xp, kh, kw, stride, dilation, ho, wo):
    """View of padded input (N, C, Hp, Wp) as (N, C, kh, kw, Ho, Wo) without a copy."""
    sn, sc, sh, sw = xp.strides
    (st_h, st_w), (dh, dw) = stride, dilation
    return as_strided(xp, (xp.shape[0], xp.shape[1], kh, kw, ho, wo),
                      (sn, sc, sh * dh, sw * dw, sh * st_h, sw * st_w), writeable=False)


def conv2d(x, w, b, stride, padding, dilation, groups):
    """x: (N, C, H, W); w: (O, C // groups, kh, kw); b: (O,) or None; padding ((top, bottom),
    (left, right)); stride, dilation: (h, w) -> (N, O, Ho, Wo), x's dtype."""
    xf, wf = _up(x), _up(w)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho = _out_size(h, kh, stride[0], sum(padding[0]), dilation[0])
    wo = _out_size(wd, kw, stride[1], sum(padding[1]), dilation[1])
    cols = _windows(_pad_input(xf, padding), kh, kw, stride, dilation, ho, wo)
    cols = cols.reshape(n, groups, cg, kh, kw, ho, wo)
    wg = wf.reshape(groups, o // groups, cg, kh, kw)
    y = np.einsum("ngckhxy,gockh->ngoxy", cols, wg, optimize=True).reshape(n, o, ho, wo)
    if b is not None:
        y = y + _up(b)[None, :, None, None]
    return y.astype(x.dtype, copy=False)


def conv2d_input_grad(g, w, input_hw, stride, padding, dilation, groups):
    """d(conv2d)/d(x) for output gradient g (N, O, Ho, Wo): (N, C, H, W). Scatters the column
    gradient back with one strided add per kernel tap (kh * kw numpy ops, no per-pixel loop)."""
    gf, wf = _up(g), _up(w)
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    h, wd = input_hw
    (pt, pb), (pl, pr) = padding
    sh, sw = stride
    dh, dw = dilation
    gcols = np.einsum("ngoxy,gockh->ngckhxy", gf.reshape(n, groups, o // groups, ho, wo),
                      wf.reshape(groups, o // groups, cg, kh, kw), optimize=True).reshape(n, groups * cg, kh, kw, ho, wo)
    hp, wp = h + pt + pb, wd + pl + pr
    # rows/cols a window can reach past the padded input (stride leftovers) get dropped below
    gx = np.zeros((n, groups * cg, max(hp, (ho - 1) * sh + (kh - 1) * dh + 1),
                   max(wp, (wo - 1) * sw + (kw - 1) * dw + 1)), gcols.dtype)
    for i in range(kh):
        for j in range(kw):
            gx[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw] += gcols[:, :, i, j]
    return gx[:, :, pt:pt + h, pl:pl + wd].astype(g.dtype, copy=False)


def conv2d_weight_grad(g, x, weight_shape, stride, padding, dilation, groups):
    """d(conv2d)/d(w) for output gradient g (N, O, Ho, Wo) and input x (N, C, H, W): weight_shape."""
    gf, xf = _up(g), _up(x)
    n, o, ho, wo = g.shape
    _, cg, kh, kw = weight_shape
    cols = _windows(_pad_input(xf, padding), kh, kw, stride, dilation, ho, wo)
    cols = cols.reshape(n, groups, cg, kh, kw, ho, wo)
    gw = np.einsum("ngoxy,ngckhxy->gockh", gf.reshape(n, groups, o // groups, ho, wo), cols, optimize=True)
    return gw.reshape(weight_shape).astype(g.dtype, copy=False)


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


def max_pool2d(x, kernel, stride, padding, dilation, ceil_mode):
    """x: (N, C, H, W) -> (values (N, C, Ho, Wo), indices int64 into the flattened H * W plane)."""
    n, c, h, w = x.shape
    xf = _up(x)
    ho, wo, pads = _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode)
    win = _windows(_pad_input(xf, pads, -np.inf), kernel[0], kernel[1], stride, dilation, ho, wo)
    flat = win.reshape(n, c, kernel[0] * kernel[1], ho, wo)
    nan = np.isnan(flat)
    arg = np.argmax(np.where(nan, np.inf, flat), axis=2)  # NaN propagates, as in PyTorch
    values = np.take_along_axis(flat, arg[:, :, None], axis=2)[:, :, 0]
    ki, kj = np.divmod(arg, kernel[1])
    rows = np.arange(ho)[:, None] * stride[0] + ki * dilation[0] - padding[0]
    cols = np.arange(wo)[None, :] * stride[1] + kj * dilation[1] - padding[1]
    return values.astype(x.dtype, copy=False), (rows * w + cols).astype(np.int64)


def max_pool2d_backward(g, indices, input_shape):
    """Scatter-add g (N, C, Ho, Wo) to the argmax positions `indices`: (N, C, H, W)."""
    n, c, h, w = input_shape
    out = np.zeros((n * c, h * w), _up(g).dtype)
    rows = np.repeat(np.arange(n * c), indices[0, 0].size)
    np.add.at(out, (rows, indices.reshape(-1)), _up(g).reshape(-1))
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
