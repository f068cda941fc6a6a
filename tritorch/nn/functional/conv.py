"""conv1d, conv2d, conv_transpose1d, conv_transpose2d (NCHW).

Three Functions over the backend's convolution primitives, each the adjoint of another, so
every order of derivative works:
  Conv2d          y  = conv(x, w)            -> backend.conv2d
  ConvInputGrad   gx = conv^T(g, w)          -> backend.conv2d_input_grad (= transposed conv)
  ConvWeightGrad  gw = <g, d conv / d w>(x)  -> backend.conv2d_weight_grad
A geometry `geo` = (stride, ((top, bottom), (left, right)), dilation, groups) rides along.
"""
from ...autograd.function import Function
from ...amp.autocast import autocast_args
from ..._ops._util import common_device, data_on, wrap

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


class Conv2d(Function):
    @staticmethod
    def forward(ctx, x, w, b, geo):
        device = common_device(x, w, b)
        ctx.save_for_backward(x, w)
        ctx.geo, ctx.has_bias = geo, b is not None
        return wrap(x._b.conv2d(data_on(x, device), data_on(w, device), data_on(b, device), *geo), device)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        if g.dtype.is_complex:  # a bilinear op: each input's gradient pairs g with the other's conj
            x, w = x.conj(), w.conj()
        gx = ConvInputGrad.apply(g, w, ctx.geo, tuple(x.shape[2:])) if ctx.needs_input_grad[0] else None
        gw = ConvWeightGrad.apply(g, x, ctx.geo, tuple(w.shape)) if ctx.needs_input_grad[1] else None
        gb = g.sum((0, 2, 3)) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return gx, gw, gb, None


class ConvInputGrad(Function):
    """The transposed convolution of g (N, O, Ho, Wo) with w, to an input of spatial size hw."""

    @staticmethod
    def forward(ctx, g, w, geo, hw):
        device = common_device(g, w)
        ctx.save_for_backward(g, w)
        ctx.geo = geo
        return wrap(g._b.conv2d_input_grad(data_on(g, device), data_on(w, device), hw, *geo), device)

    @staticmethod
    def backward(ctx, gy):
        g, w = ctx.saved_tensors
        if gy.dtype.is_complex:
            g, w = g.conj(), w.conj()
        gg = Conv2d.apply(gy, w, None, ctx.geo) if ctx.needs_input_grad[0] else None
        gw = ConvWeightGrad.apply(g, gy, ctx.geo, tuple(w.shape)) if ctx.needs_input_grad[1] else None
        return gg, gw, None, None


class ConvWeightGrad(Function):
    """The weight gradient of a convolution of x given its output gradient g."""

    @staticmethod
    def forward(ctx, g, x, geo, w_shape):
        device = common_device(g, x)
        ctx.save_for_backward(g, x)
        ctx.geo = geo
        return wrap(g._b.conv2d_weight_grad(data_on(g, device), data_on(x, device), w_shape, *geo), device)

    @staticmethod
    def backward(ctx, ga):
        g, x = ctx.saved_tensors
        if ga.dtype.is_complex:
            g, x = g.conj(), x.conj()
        gg = Conv2d.apply(x, ga, None, ctx.geo) if ctx.needs_input_grad[0] else None
        gx = ConvInputGrad.apply(g, ga, ctx.geo, tuple(x.shape[2:])) if ctx.needs_input_grad[1] else None
        return gg, gx, None, None


def _pair(v, n=2):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _padding(padding, kernel, dilation, stride):
    """((top, bottom), (left, right)) from an int, a pair, 'valid' or 'same' (extra on the end)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding != "same":
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out.append((total // 2, total - total // 2))
        return tuple(out)
    ph, pw = _pair(padding)
    return ((ph, ph), (pw, pw))


def _check_geometry(stride, padding, dilation, transposed=False):
    """PyTorch's errors, in its order, for negative padding, a stride or dilation below 1 (a stride of 0
    would otherwise divide by zero and a dilation of 0 silently give a 1x1 kernel)."""
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        got = (f"dilation_height: {dilation[0]}, dilation_width: {dilation[1]}" if transposed else
               str(list(dilation)))
        raise RuntimeError(f"dilation should be greater than zero, but got {got}")


def _check_conv(input, weight, bias, groups, name, transposed=False):
    nd = weight.dim() - 2
    if input.dim() != nd + 2:
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
                           f"size: {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if transposed:
        if input.shape[1] != weight.shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                               f"{list(input.shape)} to have {weight.shape[0]} channels, but got {input.shape[1]} "
                               "channels instead")
    else:
        if weight.shape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size {list(weight.shape)} instead")
        if input.shape[1] != weight.shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                               f"{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
                               f"{input.shape[1]} channels instead")
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{out_channels} elements, but got bias of size {list(bias.shape)} instead")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"Input type ({input.dtype}) and weight type ({weight.dtype}) should be the same")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch).

    Args:
        input (Tensor): (N, C_in, H, W) or unbatched (C_in, H, W).
        weight (Tensor): (C_out, C_in / groups, kH, kW).
        bias (Tensor, optional): (C_out,). Default: ``None``.
        stride, dilation (int or pair): Default: 1.
        padding (int, pair, 'valid' or 'same'): zero padding on both sides. Default: 0.
        groups (int): split the channels into groups. Default: 1.

    Returns (N, C_out, H_out, W_out), H_out = (H + 2 pad - dilation (kH - 1) - 1) // stride + 1.
    """
    input, weight, bias = autocast_args("conv2d", input, weight, bias)
    if input.dim() == 3 and weight.dim() == 4:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    _check_conv(input, weight, bias, groups, "conv2d")
    stride, dilation = _pair(stride), _pair(dilation)
    pads = _padding(padding, weight.shape[2:], dilation, stride)
    _check_geometry(stride, [p for pair in pads for p in pair], dilation)
    for size, (a, b), k, d, s in zip(input.shape[2:], pads, weight.shape[2:], dilation, stride):
        if size + a + b < d * (k - 1) + 1:
            h, w = (input.shape[2] + sum(pads[0]), input.shape[3] + sum(pads[1]))
            kh, kw = [dd * (kk - 1) + 1 for kk, dd in zip(weight.shape[2:], dilation)]
            raise RuntimeError(f"Calculated padded input size per channel: ({h} x {w}). Kernel size: ({kh} x {kw}). "
                               "Kernel size can't be greater than actual input size")
    return Conv2d.apply(input, weight, bias, (stride, pads, dilation, groups))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution: input (N, C_in, L) or (C_in, L); weight (C_out, C_in / groups, k) -> (N, C_out, L_out)."""
    input, weight, bias = autocast_args("conv1d", input, weight, bias)
    if input.dim() == 2 and weight.dim() == 3:
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    _check_conv(input, weight, bias, groups, "conv1d")
    pad = padding if isinstance(padding, str) else (0, _pair(padding, 1)[0])
    if not isinstance(padding, str):
        _check_geometry((1, _pair(stride, 1)[0]), pad, (1, _pair(dilation, 1)[0]))
        k = _pair(dilation, 1)[0] * (weight.shape[2] - 1) + 1
        if input.shape[2] + 2 * pad[1] < k:
            raise RuntimeError(f"Calculated padded input size per channel: ({input.shape[2] + 2 * pad[1]}). Kernel "
                               f"size: ({k}). Kernel size can't be greater than actual input size")
    y = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, _pair(stride, 1)[0]), pad,
               (1, _pair(dilation, 1)[0]), groups)
    return y.squeeze(2)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input).

    input (N, C_in, H, W); weight (C_in, C_out / groups, kH, kW) -> (N, C_out, H_out, W_out),
    H_out = (H - 1) stride - 2 pad + dilation (kH - 1) + output_padding + 1."""
    input, weight, bias = autocast_args("conv_transpose2d", input, weight, bias)
    if input.dim() == 3 and weight.dim() == 4:
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    _check_conv(input, weight, bias, groups, "conv_transpose2d", transposed=True)
    stride, padding, dilation, output_padding = _pair(stride), _pair(padding), _pair(dilation), _pair(output_padding)
    _check_geometry(stride, padding, dilation, transposed=True)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                               f"output_padding_height: {output_padding[0]} output_padding_width: {output_padding[1]} "
                               f"stride_height: {stride[0]} stride_width: {stride[1]} dilation_height: {dilation[0]} "
                               f"dilation_width: {dilation[1]}")
    hw = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in
               zip(input.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding))
    geo = (stride, tuple((p, p) for p in padding), dilation, groups)
    y = ConvInputGrad.apply(input, weight, geo, hw)
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-D convolution: input (N, C_in, L); weight (C_in, C_out / groups, k)."""
    if input.dim() == 2 and weight.dim() == 3:
        return conv_transpose1d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    one = lambda v: _pair(v, 1)[0]  # noqa: E731
    y = conv_transpose2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, one(stride)), (0, one(padding)),
                         (0, one(output_padding)), groups, (1, one(dilation)))
    return y.squeeze(2)

