"""Fused neural-network primitives on the device: the twins of `_dispatch/cpu/nn.py`.

* linear: one `kernels.matmul` launch (bias and activation in the epilogue).
* layer_norm / rms_norm: one `kernels.layernorm` launch.
* cross_entropy: one `kernels.cross_entropy` row pass (loss and LSE together).
* conv2d and its input/weight gradients: im2col (`kernels.conv`) feeding one batched
  `kernels.matmul` over (N, groups); the input gradient is `w^T @ g` folded back by col2im
  (deterministic, no atomics).
* pooling: `kernels.pooling`; the max pool's backward is a scatter-add into the saved indices.

float64 (which the fused kernels do not take), and cross_entropy with class weights, are composed
from the backend's elementwise/reduce/matmul primitives: still on the device, a few launches more.
Statistics come back float32 (float64 for float64), shaped as the CPU twin shapes them. A class
index outside [0, C) (other than ignore_index) is reported at the next synchronisation
(`tritorch.cuda.errors`) and clamped or ignored by the kernels meanwhile.
"""
import math

import numpy as np

from tritorch import cuda
from tritorch.kernels import conv as _conv, indexing as _indexing, pooling as _pool
from tritorch.kernels.cross_entropy import cross_entropy as _cross_entropy
from tritorch.kernels.elementwise import elementwise
from tritorch.kernels.layernorm import layer_norm as _layer_norm, rms_norm as _rms_norm
from tritorch.kernels.matmul import matmul as _matmul
from tritorch.kernels.reduce import reduce as _reduce

from ..cpu.nn import _pool_out
from .elementwise import cast
from .indexing import gather, index_select, scatter
from .linalg import _TL_DOT, float32_matmul_dot_precision, matmul
from .reduce import logsumexp

__all__ = ["linear", "layer_norm", "rms_norm", "cross_entropy", "conv2d", "conv2d_input_grad",
           "conv2d_weight_grad", "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


def _ew(op, *operands, dtype=None):
    return elementwise(op, list(operands), dtype, compute=dtype)


def _reshape(x, shape):
    try:
        return x.reshape(shape)
    except ValueError:
        return x.contiguous().reshape(shape)


def _mm(a, b, residual=None, out=None):
    """a @ b (+ residual) with numpy's batch broadcasting; the fused kernel for float32/16/bf16."""
    if a.dtype in _TL_DOT:
        return _matmul(a, b, residual=residual, out=out, precision=float32_matmul_dot_precision())
    y = matmul(a, b)
    if residual is not None:
        y = _ew("add", y, residual, dtype=y.dtype)
    if out is not None:
        elementwise("identity", [y], out.dtype, compute=y.dtype, out=out)
        return out
    return y


# -- linear ---------------------------------------------------------------------------------------
def _activate(z, activation):
    """activation(z) from elementwise launches (the float64 path; the kernel fuses it otherwise)."""
    d = z.dtype
    if activation == "none":
        return z
    if activation == "relu":
        return elementwise("relu", [z])
    if activation == "gelu":
        cdf = _ew("add", _ew("erf", _ew("mul", z, 1 / math.sqrt(2.0), dtype=d), dtype=d), 1.0, dtype=d)
        return _ew("mul", _ew("mul", z, cdf, dtype=d), 0.5, dtype=d)
    if activation == "gelu_tanh":
        cube = _ew("mul", _ew("mul", _ew("mul", z, z, dtype=d), z, dtype=d), 0.044715, dtype=d)
        t = _ew("tanh", _ew("mul", _ew("add", z, cube, dtype=d), math.sqrt(2.0 / math.pi), dtype=d), dtype=d)
        return _ew("mul", _ew("mul", z, 0.5, dtype=d), _ew("add", t, 1.0, dtype=d), dtype=d)
    if activation == "silu":
        return _ew("mul", z, _ew("sigmoid", z, dtype=d), dtype=d)
    raise ValueError(f"linear: unknown activation '{activation}'")


def linear(x, w, b, activation="none"):
    """activation(x @ w.T + b). x: (..., in); w: (out, in); b: (out,) or None -> (..., out), x's dtype."""
    shape = x.shape[:-1] + (w.shape[0],)
    rows = _reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x
    if x.dtype in _TL_DOT:
        return _matmul(rows, w.T, bias=b, activation=activation,
                       precision=float32_matmul_dot_precision()).reshape(shape)
    z = matmul(rows, w.T)
    if b is not None:
        z = _ew("add", z, b, dtype=z.dtype)
    return _activate(z, activation).reshape(shape)


# -- normalisation ----------------------------------------------------------------------------------
def _stats_shape(x, nd):
    return x.shape[:x.ndim - nd] + (1,) * nd


def layer_norm(x, normalized_ndim, w, b, eps):
    """Normalise over the last `normalized_ndim` dims: (y, mean, rstd). y: x's shape and dtype;
    mean/rstd: x.shape[:-normalized_ndim] + (1,) * normalized_ndim, float32 (float64 for float64 x)."""
    if x.dtype in _TL_DOT:
        y, mean, rstd, _ = _layer_norm(x, x.shape[x.ndim - normalized_ndim:], w, b, eps)
        return y, mean.reshape(_stats_shape(x, normalized_ndim)), rstd.reshape(_stats_shape(x, normalized_ndim))
    d, axes = x.dtype, tuple(range(x.ndim - normalized_ndim, x.ndim))
    mean = _reduce("mean", x, axes, d).reshape(_stats_shape(x, normalized_ndim))
    xc = _ew("sub", x, mean, dtype=d)
    var = _reduce("mean", _ew("mul", xc, xc, dtype=d), axes, d).reshape(mean.shape)
    rstd = _ew("rsqrt", _ew("add", var, eps, dtype=d), dtype=d)
    y = _ew("mul", xc, rstd, dtype=d)
    if w is not None:
        y = _ew("mul", y, w, dtype=d)
    if b is not None:
        y = _ew("add", y, b, dtype=d)
    return y, mean, rstd


def rms_norm(x, normalized_ndim, w, eps):
    """y = x / sqrt(mean(x^2) + eps) * w over the last `normalized_ndim` dims: (y, rstd)."""
    if x.dtype in _TL_DOT:
        y, _, rstd, _ = _rms_norm(x, x.shape[x.ndim - normalized_ndim:], w, eps)
        return y, rstd.reshape(_stats_shape(x, normalized_ndim))
    d, axes = x.dtype, tuple(range(x.ndim - normalized_ndim, x.ndim))
    ms = _reduce("mean", _ew("mul", x, x, dtype=d), axes, d).reshape(_stats_shape(x, normalized_ndim))
    rstd = _ew("rsqrt", _ew("add", ms, eps, dtype=d), dtype=d)
    y = _ew("mul", x, rstd, dtype=d)
    return (y if w is None else _ew("mul", y, w, dtype=d)), rstd


# -- cross-entropy ------------------------------------------------------------------------------------
def cross_entropy(logits, target, weight, ignore_index, label_smoothing):
    """Per-row cross-entropy of (N, C) logits against (N,) int class indices: (loss (N,), lse (N,)),
    float32 (float64 for float64 logits); 0 where the target is ignore_index. See the CPU twin."""
    _indexing.check_range(target.contiguous().reshape(-1), logits.shape[1], False, ignore_index)
    if weight is None and logits.dtype in _TL_DOT:
        loss, lse = _cross_entropy(logits, target, ignore_index, label_smoothing, "none", return_lse=True)
        return (loss if loss.dtype == np.float32 else cast(loss, np.float32)), lse
    d = np.float64 if logits.dtype == np.float64 else np.float32
    x = logits if logits.dtype == d else cast(logits, d)
    n, c = x.shape
    lse = logsumexp(x, (1,), False)
    keep = elementwise("ne", [target, ignore_index])
    t = elementwise("where", [keep, target, 0], target.dtype, compute=target.dtype)
    nll = _ew("sub", lse, gather(x, 1, t.reshape(n, 1)).reshape(n), dtype=d)
    if weight is not None:
        w = weight if weight.dtype == d else cast(weight, d)
        nll = _ew("mul", nll, index_select(w, 0, t), dtype=d)
    loss = _ew("mul", nll, 1.0 - label_smoothing, dtype=d)
    if label_smoothing:
        neg = _ew("sub", lse.reshape(n, 1), x, dtype=d)
        if weight is not None:
            neg = _ew("mul", neg, w, dtype=d)
        smooth = _reduce("sum", neg, (1,), d)
        loss = _ew("add", loss, _ew("mul", smooth, label_smoothing / c, dtype=d), dtype=d)
    return elementwise("where", [keep, loss, 0.0], d, compute=d), lse


# -- convolution --------------------------------------------------------------------------------------
def _conv_out(size, k, stride, pad, dilation):
    return (size + pad - dilation * (k - 1) - 1) // stride + 1


def conv2d(x, w, b, stride, padding, dilation, groups):
    """x: (N, C, H, W); w: (O, C // groups, kh, kw); b: (O,) or None; padding ((top, bottom),
    (left, right)); stride, dilation: (h, w) -> (N, O, Ho, Wo), x's dtype.

    One batched matmul over (N, groups): w (groups, O/groups, K) @ cols (N, groups, K, Ho*Wo),
    K = C/groups * kh * kw, the bias in its residual epilogue."""
    n, _, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho = _conv_out(h, kh, stride[0], sum(padding[0]), dilation[0])
    wo = _conv_out(wd, kw, stride[1], sum(padding[1]), dilation[1])
    og, k, l = o // groups, cg * kh * kw, ho * wo
    cols = _conv.im2col(x, (kh, kw), stride, padding, dilation, (ho, wo)).reshape(n, groups, k, l)
    bias = None if b is None else b.reshape(1, groups, og, 1).broadcast_to((n, groups, og, l))
    return _mm(_reshape(w, (groups, og, k)), cols, residual=bias).reshape(n, o, ho, wo)


def conv2d_input_grad(g, w, input_hw, stride, padding, dilation, groups):
    """d(conv2d)/d(x) for output gradient g (N, O, Ho, Wo): (N, C, H, W). One batched matmul
    w^T (groups, K, O/groups) @ g (N, groups, O/groups, Ho*Wo), folded back by col2im."""
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    og, k = o // groups, cg * kh * kw
    gcols = _mm(_reshape(w, (groups, og, k)).transpose(1, 2), _reshape(g, (n, groups, og, ho * wo)))
    return _conv.col2im(gcols.reshape(n, groups * k, ho * wo), (n, groups * cg) + tuple(input_hw), (kh, kw), stride,
                        padding, dilation, (ho, wo))


def conv2d_weight_grad(g, x, weight_shape, stride, padding, dilation, groups):
    """d(conv2d)/d(w) for output gradient g (N, O, Ho, Wo) and input x (N, C, H, W): weight_shape.
    One batched matmul g (N, groups, O/groups, L) @ cols^T (N, groups, L, K), summed over N."""
    n, o, ho, wo = g.shape
    _, cg, kh, kw = weight_shape
    og, k, l = o // groups, cg * kh * kw, ho * wo
    cols = _conv.im2col(x, (kh, kw), stride, padding, dilation, (ho, wo)).reshape(n, groups, k, l)
    per_image = _mm(_reshape(g, (n, groups, og, l)), cols.transpose(2, 3))
    return _reduce("sum", per_image, (0,), g.dtype).reshape(tuple(weight_shape))


# -- pooling ----------------------------------------------------------------------------------------
def _pool_hw(x_hw, kernel, stride, padding, dilation, ceil_mode):
    return tuple(_pool_out(x_hw[d], kernel[d], stride[d], padding[d], dilation[d], ceil_mode) for d in (0, 1))


def max_pool2d(x, kernel, stride, padding, dilation, ceil_mode):
    """x: (N, C, H, W) -> (values (N, C, Ho, Wo), indices int64 into the flattened H * W plane)."""
    out_hw = _pool_hw(x.shape[2:], kernel, stride, padding, dilation, ceil_mode)
    return _pool.max_pool2d(x, kernel, stride, padding, dilation, out_hw)


def max_pool2d_backward(g, indices, input_shape):
    """Scatter-add g (N, C, Ho, Wo) to the argmax positions `indices`: (N, C, H, W)."""
    n, c, h, w = input_shape
    rows = n * c
    gm, idx = _reshape(g, (rows, -1)), _reshape(indices, (rows, -1))
    return scatter(cuda.zeros((rows, h * w), g.dtype), 1, idx, gm, "add").reshape(tuple(input_shape))


def avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """x: (N, C, H, W) -> (N, C, Ho, Wo), PyTorch's divisor rules (count_include_pad, override)."""
    out_hw = _pool_hw(x.shape[2:], kernel, stride, padding, (1, 1), ceil_mode)
    return _pool.avg_pool2d(x, kernel, stride, padding, out_hw, count_include_pad, divisor_override)


def avg_pool2d_backward(g, input_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Spread g (N, C, Ho, Wo) evenly over each window: (N, C, H, W)."""
    return _pool.avg_pool2d_backward(g, input_shape, kernel, stride, padding, count_include_pad, divisor_override)
