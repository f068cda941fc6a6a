"""Pooling over NCHW (1-d pooling is 2-d pooling with H = 1).

max_pool2d and avg_pool2d each run one backend primitive forward and one backward; each
backward is itself a Function whose backward is the forward again (they are adjoint pairs), so
higher derivatives work. adaptive_avg_pool2d is separable: y = A_h @ x @ A_w^T with averaging
matrices, composed from Tensor ops.
"""
import tritorch
from ...autograd.function import Function
from ..._ops._util import wrap
from ..._ops.complex import refuse_complex

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "max_pool2d_with_indices", "max_pool1d_with_indices"]


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, geo):
        values, idx = x._b.max_pool2d(x._data, *geo)
        idx = wrap(idx, x.device)
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        ctx.in_shape = tuple(x.shape)
        return wrap(values, x.device), idx

    @staticmethod
    def backward(ctx, g, _gi=None):
        idx, = ctx.saved_tensors
        return MaxUnpool.apply(g, idx, ctx.in_shape), None


class MaxUnpool(Function):
    """Scatter-add g to the argmax positions: the gradient of max pooling."""

    @staticmethod
    def forward(ctx, g, idx, in_shape):
        ctx.save_for_backward(idx)
        return wrap(g._b.max_pool2d_backward(g._data, idx._data, in_shape), g.device)

    @staticmethod
    def backward(ctx, gy):
        idx, = ctx.saved_tensors
        n, c = idx.shape[:2]
        picked = gy.reshape(n, c, -1).gather(2, idx.reshape(n, c, -1))
        return picked.reshape(idx.shape), None, None


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo, ctx.in_shape = geo, tuple(x.shape)
        return wrap(x._b.avg_pool2d(x._data, *geo), x.device)

    @staticmethod
    def backward(ctx, g):
        return AvgUnpool.apply(g, ctx.in_shape, ctx.geo), None


class AvgUnpool(Function):
    """Spread g evenly over each window: the gradient (adjoint) of average pooling."""

    @staticmethod
    def forward(ctx, g, in_shape, geo):
        ctx.geo = geo
        return wrap(g._b.avg_pool2d_backward(g._data, in_shape, *geo), g.device)

    @staticmethod
    def backward(ctx, gy):
        return AvgPool2d.apply(gy, ctx.geo), None, None


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _batched(input, nd, name):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D input (got {input.dim()}D input)"
                           if nd == 1 else f"non-empty 3D or 4D (batch mode) tensor expected for input")
    return input.dim() == nd + 1


def _out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length (ceil mode: a last window must start inside the input or left pad)."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    return out - 1 if ceil_mode and (out - 1) * s >= size + p else out


def _check_pool(input, kernel, stride, padding, dilation=(1, 1), ceil_mode=False):
    """PyTorch's checks, in its order, for 2-D pooling of (N, C, H, W): a kernel, stride or dilation
    below 1, a pad outside [0, half the effective kernel], and a window larger than the padded input
    (which would otherwise give an empty tensor, or a division by zero for a stride of 0)."""
    for k, s, p, d in zip(kernel, stride, padding, dilation):
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    if min(kernel) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}")
    if min(stride) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {stride[0]} dW: {stride[1]}")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dilation[0]} "
                           f"dilationW: {dilation[1]}")
    c, h, w = input.shape[1:]
    oh, ow = (_out_size(n, *geo, ceil_mode) for n, geo in zip((h, w), zip(kernel, stride, padding, dilation)))
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oh}x{ow}). "
                           "Output size is too small")


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """(values, indices) of 2-D max pooling; indices index the flattened H * W input plane."""
    if _batched(input, 2, "max_pool2d"):
        v, i = max_pool2d_with_indices(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode)
        return v.squeeze(0), i.squeeze(0)
    kernel = _pair(kernel_size)
    stride = kernel if stride is None or stride == [] or stride == () else _pair(stride)
    padding, dilation = _pair(padding), _pair(dilation)
    _check_pool(input, kernel, stride, padding, dilation, ceil_mode)
    return MaxPool2d.apply(input, (kernel, stride, padding, dilation, ceil_mode))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling of (N, C, H, W) or (C, H, W); with return_indices also the argmax indices."""
    refuse_complex("max_pool2d", input)
    values, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, idx) if return_indices else values


def _one(v):
    return v[0] if isinstance(v, (tuple, list)) else v


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    _batched(input, 1, "max_pool1d")
    k, s, p, d = _one(kernel_size), _one(kernel_size if stride is None or stride in ([], ()) else stride), \
        _one(padding), _one(dilation)
    for ok, what in ((k > 0, f"kernel_size must be greater than zero, but got {k}"),
                     (s > 0, f"stride must be greater than zero, but got {s}"),
                     (p >= 0, f"padding must be non-negative, but got {p}"),
                     (p <= k // 2, f"padding should be at most half of kernel size, but got padding={p} and "
                                   f"kernel_size={k}"),
                     (d > 0, f"dilation must be greater than zero, but got {d}")):
        if not ok:
            raise RuntimeError(f"max_pool1d() {what}")
    length = _out_size(input.shape[-1], k, s, p, d, ceil_mode)
    if length < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {length}")
    stride = None if stride is None or stride == [] or stride == () else (1, _one(stride))
    v, i = max_pool2d_with_indices(input.unsqueeze(-2), (1, _one(kernel_size)), stride, (0, _one(padding)),
                                   (1, _one(dilation)), ceil_mode)
    return v.squeeze(-2), i.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling of (N, C, L) or (C, L)."""
    refuse_complex("max_pool1d_impl", input)
    values, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, idx) if return_indices else values


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling of (N, C, H, W) or (C, H, W), PyTorch's divisor rules."""
    refuse_complex("avg_pool2d", input)
    if _batched(input, 2, "avg_pool2d"):
        return avg_pool2d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override).squeeze(0)
    kernel = _pair(kernel_size)
    stride = kernel if stride is None or stride == [] or stride == () else _pair(stride)
    padding = _pair(padding)
    _check_pool(input, kernel, stride, padding, ceil_mode=ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return AvgPool2d.apply(input, (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling of (N, C, L) or (C, L)."""
    refuse_complex("avg_pool2d", input)
    _batched(input, 1, "avg_pool1d")
    stride = None if stride is None or stride == [] or stride == () else (1, _one(stride))
    return avg_pool2d(input.unsqueeze(-2), (1, _one(kernel_size)), stride, (0, _one(padding)), ceil_mode,
                      count_include_pad).squeeze(-2)


def _averaging_matrix(size, out, like):
    """(out, size): row i averages input[floor(i * size / out) : ceil((i + 1) * size / out)]."""
    if out == 0:  # an empty output, as PyTorch
        return tritorch.zeros(0, size, dtype=like.dtype, device=like.device)
    i = tritorch.arange(out, device=like.device).unsqueeze(1)
    j = tritorch.arange(size, device=like.device).unsqueeze(0)
    start = (i * size) // out
    end = ((i + 1) * size + out - 1) // out
    inside = ((j >= start) & (j < end)).to(like.dtype)
    return inside / (end - start).to(like.dtype)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) or (C, H, W) to output_size (int or (h, w); None keeps the
    input size), with PyTorch's window bounds floor(i H / h) .. ceil((i + 1) H / h)."""
    refuse_complex("adaptive_avg_pool2d", input)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    oh, ow = _pair(output_size)
    h, w = input.shape[-2:]
    oh, ow = h if oh is None else oh, w if ow is None else ow
    if oh < 0 or ow < 0:
        raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{oh}, {ow}}}")
    ah = _averaging_matrix(h, oh, input)
    aw = _averaging_matrix(w, ow, input)
    return ah @ input @ aw.mT


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to output_size."""
    refuse_complex("adaptive_avg_pool2d", input)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _one(output_size))).squeeze(-2)
