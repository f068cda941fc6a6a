"""Pooling over NCHW (1-d pooling is 2-d pooling with H = 1).

max_pool2d and avg_pool2d each run one backend primitive forward and one backward; each
backward is itself a Function whose backward is the forward again (they are adjoint pairs), so
higher derivatives work. adaptive_avg_pool2d is separable: y = A_h @ x @ A_w^T with averaging
matrices, composed from Tensor ops.
"""
import tritorch
from ...autograd.function import Function
from ..._ops._util import wrap

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


def _check_pad(kernel, padding, dilation=(1, 1)):
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """(values, indices) of 2-D max pooling; indices index the flattened H * W input plane."""
    if _batched(input, 2, "max_pool2d"):
        v, i = max_pool2d_with_indices(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode)
        return v.squeeze(0), i.squeeze(0)
    kernel = _pair(kernel_size)
    stride = kernel if stride is None or stride == [] or stride == () else _pair(stride)
    padding, dilation = _pair(padding), _pair(dilation)
    _check_pad(kernel, padding, dilation)
    return MaxPool2d.apply(input, (kernel, stride, padding, dilation, ceil_mode))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling of (N, C, H, W) or (C, H, W); with return_indices also the argmax indices."""
    values, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, idx) if return_indices else values


def _one(v):
    return v[0] if isinstance(v, (tuple, list)) else v


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    _batched(input, 1, "max_pool1d")
    stride = None if stride is None or stride == [] or stride == () else (1, _one(stride))
    v, i = max_pool2d_with_indices(input.unsqueeze(-2), (1, _one(kernel_size)), stride, (0, _one(padding)),
                                   (1, _one(dilation)), ceil_mode)
    return v.squeeze(-2), i.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling of (N, C, L) or (C, L)."""
    values, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, idx) if return_indices else values


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling of (N, C, H, W) or (C, H, W), PyTorch's divisor rules."""
    if _batched(input, 2, "avg_pool2d"):
        return avg_pool2d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override).squeeze(0)
    kernel = _pair(kernel_size)
    stride = kernel if stride is None or stride == [] or stride == () else _pair(stride)
    padding = _pair(padding)
    _check_pad(kernel, padding)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return AvgPool2d.apply(input, (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling of (N, C, L) or (C, L)."""
    _batched(input, 1, "avg_pool1d")
    stride = None if stride is None or stride == [] or stride == () else (1, _one(stride))
    return avg_pool2d(input.unsqueeze(-2), (1, _one(kernel_size)), stride, (0, _one(padding)), ceil_mode,
                      count_include_pad).squeeze(-2)


def _averaging_matrix(size, out, like):
    """(out, size): row i averages input[floor(i * size / out) : ceil((i + 1) * size / out)]."""
    i = tritorch.arange(out, device=like.device).unsqueeze(1)
    j = tritorch.arange(size, device=like.device).unsqueeze(0)
    start = (i * size) // out
    end = ((i + 1) * size + out - 1) // out
    inside = ((j >= start) & (j < end)).to(like.dtype)
    return inside / (end - start).to(like.dtype)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) or (C, H, W) to output_size (int or (h, w); None keeps the
    input size), with PyTorch's window bounds floor(i H / h) .. ceil((i + 1) H / h)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    oh, ow = _pair(output_size)
    h, w = input.shape[-2:]
    oh, ow = h if oh is None else oh, w if ow is None else ow
    ah = _averaging_matrix(h, oh, input)
    aw = _averaging_matrix(w, ow, input)
    return ah @ input @ aw.mT


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to output_size."""
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _one(output_size))).squeeze(-2)
