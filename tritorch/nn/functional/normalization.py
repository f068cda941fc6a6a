"""layer_norm and rms_norm (one fused primitive each), group_norm, batch_norm, normalize."""
import tritorch
from ...autograd import grad_mode
from ...autograd.function import Function
from ...amp.autocast import autocast_args
from ..._ops._util import common_device, data_on, wrap
from ..._ops.complex import refuse_complex

__all__ = ["layer_norm", "rms_norm", "group_norm", "batch_norm"]


def _row_axes(x, nd):
    return tuple(range(x.dim() - nd, x.dim()))


def _stat_dtype(x):
    return tritorch.float64 if x.dtype is tritorch.float64 else tritorch.float32


def _sum_leading(t, nd):
    """Sum over every dim but the last nd: the gradient of a weight of shape t.shape[-nd:]."""
    lead = tuple(range(t.dim() - nd))
    return t.sum(lead) if lead else t


class LayerNorm(Function):
    """y = (x - mean) * rstd * w + b over the last `nd` dims: the backend's `layer_norm` primitive."""

    @staticmethod
    def forward(ctx, x, w, b, nd, eps):
        device = common_device(x, w, b)
        ctx.meta = (nd, eps, b is not None)
        if not hasattr(x._b, "layer_norm"):  # a backend without the fused primitive: Tensor ops
            xs = x.to(_stat_dtype(x))
            axes = _row_axes(x, nd)
            mean = xs.mean(axes, keepdim=True)
            rstd = (((xs - mean) ** 2).mean(axes, keepdim=True) + eps).rsqrt()
            y = (xs - mean) * rstd
            y = y * w if w is not None else y
            y = y + b if b is not None else y
            ctx.save_for_backward(x, w, mean, rstd)
            return y.to(x.dtype)
        y, mean, rstd = x._b.layer_norm(data_on(x, device), nd, data_on(w, device), data_on(b, device), eps)
        ctx.save_for_backward(x, w, wrap(mean, device), wrap(rstd, device))
        return wrap(y, device)

    @staticmethod
    def backward(ctx, g):
        x, w, mean, rstd = ctx.saved_tensors
        nd, eps, has_bias = ctx.meta
        if not grad_mode.is_grad_enabled() and hasattr(x._b, "layer_norm_backward"):  # one fused primitive
            dev = x.device
            gx, gw, gb = x._b.layer_norm_backward(data_on(g, dev), x._data, data_on(w, dev), mean._data, rstd._data, nd,
                                                  w is not None and ctx.needs_input_grad[1],
                                                  has_bias and ctx.needs_input_grad[2])
            return (wrap(gx, dev), None if gw is None else wrap(gw, dev), None if gb is None else wrap(gb, dev),
                    None, None)
        axes = _row_axes(x, nd)
        xs = x.to(_stat_dtype(x))
        if grad_mode.is_grad_enabled():  # create_graph: statistics as functions of x
            mean = xs.mean(axes, keepdim=True)
            rstd = (((xs - mean) ** 2).mean(axes, keepdim=True) + eps).rsqrt()
        xhat = (xs - mean) * rstd
        gs = g.to(xs.dtype)
        wdy = gs * w.to(xs.dtype) if w is not None else gs
        gx = rstd * (wdy - xhat * (xhat * wdy).mean(axes, keepdim=True) - wdy.mean(axes, keepdim=True))
        gw = _sum_leading(gs * xhat, nd).to(w.dtype) if w is not None and ctx.needs_input_grad[1] else None
        gb = _sum_leading(gs, nd).to(g.dtype) if has_bias and ctx.needs_input_grad[2] else None
        return gx.to(x.dtype), gw, gb, None, None


class RMSNorm(Function):
    """y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps) over the last `nd` dims."""

    @staticmethod
    def forward(ctx, x, w, nd, eps):
        device = common_device(x, w)
        ctx.meta = (nd, eps)
        if not hasattr(x._b, "rms_norm"):  # a backend without the fused primitive: Tensor ops
            xs = x.to(_stat_dtype(x))
            rstd = ((xs * xs).mean(_row_axes(x, nd), keepdim=True) + eps).rsqrt()
            ctx.save_for_backward(x, w, rstd)
            y = xs * rstd
            return (y * w if w is not None else y).to(x.dtype)
        y, rstd = x._b.rms_norm(data_on(x, device), nd, data_on(w, device), eps)
        ctx.save_for_backward(x, w, wrap(rstd, device))
        return wrap(y, device)

    @staticmethod
    def backward(ctx, g):
        x, w, rstd = ctx.saved_tensors
        nd, eps = ctx.meta
        axes = _row_axes(x, nd)
        xs = x.to(_stat_dtype(x))
        if grad_mode.is_grad_enabled():
            rstd = ((xs * xs).mean(axes, keepdim=True) + eps).rsqrt()
        xhat = xs * rstd
        gs = g.to(xs.dtype)
        wdy = gs * w.to(xs.dtype) if w is not None else gs
        gx = rstd * (wdy - xhat * (xhat * wdy).mean(axes, keepdim=True))
        gw = _sum_leading(gs * xhat, nd).to(w.dtype) if w is not None and ctx.needs_input_grad[1] else None
        return gx.to(x.dtype), gw, None, None


def _check_normalized(input, normalized_shape, tensors):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    nd = len(shape)
    if nd == 0 or tuple(input.shape[input.dim() - nd:]) != shape or input.dim() < nd:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    for name, t in tensors:
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(shape)}")
    return nd


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing `normalized_shape` dims (biased variance).

    input: (*, *normalized_shape); weight, bias: normalized_shape or None. Output: input's shape/dtype."""
    refuse_complex("LayerNormKernelImpl", input)
    input, weight, bias = autocast_args("layer_norm", input, weight, bias)
    nd = _check_normalized(input, normalized_shape, [("weight", weight), ("bias", bias)])
    return LayerNorm.apply(input, weight, bias, nd, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) * weight over the trailing dims; eps None: finfo(input.dtype).eps."""
    refuse_complex("rms_norm", input)
    input, weight = autocast_args("rms_norm", input, weight)
    nd = _check_normalized(input, normalized_shape, [("weight", weight)])
    if eps is None:
        import numpy as np
        eps = float(np.finfo(np.float32 if input.dtype is tritorch.bfloat16 else input.dtype.np).eps) \
            if input.dtype is not tritorch.bfloat16 else 0.0078125
    return RMSNorm.apply(input, weight, nd, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each of num_groups channel groups of (N, C, *) over its channels and spatial dims,
    then scale/shift per channel by weight/bias (C,)."""
    refuse_complex("GroupNormKernelImpl", input)
    input, weight, bias = autocast_args("group_norm", input, weight, bias)
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    x = input.reshape(n, num_groups, -1)
    y = LayerNorm.apply(x, None, None, 1, eps).reshape(input.shape)
    shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Batch normalisation of (N, C, *) over every dim but C.

    training: normalise with the batch statistics and, when given, update running_mean/running_var
    in place (running = (1 - momentum) * running + momentum * batch, unbiased batch variance);
    otherwise normalise with the running statistics."""
    refuse_complex("batch_norm", input)
    if input.dim() < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")
    c = input.shape[1]
    axes = (0,) + tuple(range(2, input.dim()))
    shape = (1, c) + (1,) * (input.dim() - 2)
    if training:
        count = input.numel() // c
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
        mean = input.mean(axes)
        var = input.var(axes, correction=0)
        if running_mean is not None:
            with grad_mode.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
                running_var.mul_(1 - momentum).add_(var.detach() * (momentum * count / (count - 1)))
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean, var = running_mean, running_var
    y = (input - mean.reshape(shape)) * (var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y

