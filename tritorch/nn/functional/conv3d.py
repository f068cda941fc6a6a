"""conv3d as a sum of conv2d calls, one per kernel depth tap (so the 2-D kernels, their gradients and
every device serve 3-D convolution), and unfold/fold (im2col / col2im) as index_select/index_add
over host-computed patch indices."""
import numpy as np

import tritorch
from .conv import _check_conv, _pair, conv2d
from .misc import pad as _pad

__all__ = ["conv3d", "unfold", "fold"]


def _triple(v):
    return _pair(v, 3)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation).

    input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_out, C_in / groups, kD, kH, kW); bias (C_out,);
    stride, dilation: int or triple; padding: int, triple, 'valid' or 'same'.
    Returns (N, C_out, D_out, H_out, W_out), D_out = (D + 2 pad - dilation (kD - 1) - 1) // stride + 1.
    """
    if input.dim() == 4 and weight.dim() == 5:
        return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    _check_conv(input, weight, bias, groups, "conv3d")
    stride, dilation = _triple(stride), _triple(dilation)
    kd, kh, kw = weight.shape[2:]
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            widths = []
            for k, d in zip((kw, kh, kd), dilation[::-1]):
                total = d * (k - 1)
                widths += [total // 2, total - total // 2]
            input = _pad(input, widths)
        padding = (0, 0, 0)
    padding = _triple(padding)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    padded = [n + 2 * p for n, p in zip(input.shape[2:], padding)]
    span = [d * (k - 1) + 1 for d, k in zip(dilation, (kd, kh, kw))]
    if any(n < s for n, s in zip(padded, span)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, span))}). Kernel size can't be greater than actual input size")
    x = _pad(input, (0, 0, 0, 0, padding[0], padding[0])) if padding[0] else input
    n, c = x.shape[:2]
    od = (x.shape[2] - span[0]) // stride[0] + 1
    out = None
    for k in range(kd):
        start = k * dilation[0]
        xs = x[:, :, start:start + stride[0] * (od - 1) + 1:stride[0]]  # (N, C, OD, H, W)
        xs = xs.transpose(1, 2).reshape(n * od, c, *x.shape[3:])
        y = conv2d(xs, weight[:, :, k], None, stride[1:], padding[1:], dilation[1:], groups)
        out = y if out is None else out + y
    out = out.reshape(n, od, *out.shape[1:]).transpose(1, 2)
    return out if bias is None else out + bias.reshape(1, -1, 1, 1, 1)


def _patch_index(size, kernel, dilation, padding, stride):
    """(kh * kw * L,) flat indices into the padded (H + 2 ph) x (W + 2 pw) plane, kernel-major, and
    the output grid (oh, ow)."""
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = size, kernel, dilation, padding, stride
    hp, wp = h + 2 * ph, w + 2 * pw
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Given input with spatial size ({h}, {w}), kernel_size=({kh}, {kw}), dilation=({dh}, {dw}), "
                           f"padding=({ph}, {pw}), calculated shape of the array of sliding blocks as ({oh}, {ow}), "
                           "but its components must be at least one.")
    rows = (np.arange(kh) * dh)[:, None, None, None] + (np.arange(oh) * sh)[None, None, :, None]
    cols = (np.arange(kw) * dw)[None, :, None, None] + (np.arange(ow) * sw)[None, None, None, :]
    return (rows * wp + cols).reshape(-1), (oh, ow), (hp, wp)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C * kh * kw, L) sliding blocks (L = number of block positions),
    rows ordered channel-major then kernel row, kernel column, as PyTorch."""
    if input.dim() not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    if input.dim() == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    n, c, h, w = input.shape
    idx, (oh, ow), (hp, wp) = _patch_index((h, w), k, d, p, s)
    x = _pad(input, (p[1], p[1], p[0], p[0])) if any(p) else input
    cols = x.reshape(n, c, hp * wp).index_select(2, tritorch.tensor(idx, device=input.device))
    return cols.reshape(n, c * k[0] * k[1], oh * ow)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of unfold: (N, C * kh * kw, L) -> (N, C, H, W), overlapping blocks summed."""
    if input.dim() not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {input.dim()}D)")
    if input.dim() == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    size, k, d, p, s = _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    n, ckk, length = input.shape
    if ckk % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={ckk} and kernel_size=({k[0]}, {k[1]})")
    idx, (oh, ow), (hp, wp) = _patch_index(size, k, d, p, s)
    if oh * ow != length:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, "
                           f"{d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but "
                           f"got input.size(2)={length}.")
    c = ckk // (k[0] * k[1])
    src = input.reshape(n, c, k[0] * k[1] * length)
    out = input.new_zeros((n, c, hp * wp)).index_add(2, tritorch.tensor(idx, device=input.device), src)
    out = out.reshape(n, c, hp, wp)
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-D convolution: input (N, C_in, D, H, W) or unbatched; weight (C_in, C_out / groups,
    kD, kH, kW). One conv_transpose2d per depth tap, its rows added at depth d * stride + tap * dilation
    (index_add), then the depth padding cropped. D_out = (D - 1) stride - 2 pad + dilation (kD - 1) +
    output_padding + 1."""
    from .conv import conv_transpose2d
    if input.dim() == 4 and weight.dim() == 5:
        return conv_transpose3d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    _check_conv(input, weight, bias, groups, "conv_transpose3d", transposed=True)
    stride, padding, dilation, output_padding = (_triple(v) for v in (stride, padding, dilation, output_padding))
    n, c, depth = input.shape[:3]
    kd = weight.shape[2]
    full = (depth - 1) * stride[0] + dilation[0] * (kd - 1) + 1 + output_padding[0]
    planes = input.transpose(1, 2).reshape(n * depth, c, *input.shape[3:])
    out = None
    for k in range(kd):
        y = conv_transpose2d(planes, weight[:, :, k], None, stride[1:], padding[1:], output_padding[1:], groups,
                             dilation[1:])
        y = y.reshape(n, depth, *y.shape[1:]).transpose(1, 2)  # (N, C_out, D, H', W')
        if out is None:
            out = y.new_zeros((n, y.shape[1], full) + tuple(y.shape[3:]))
        rows = tritorch.arange(depth, device=input.device) * stride[0] + k * dilation[0]
        out = out.index_add(2, rows, y)
    out = out[:, :, padding[0]:full - padding[0]] if padding[0] else out
    return out if bias is None else out + bias.reshape(1, -1, 1, 1, 1)


__all__ += ["conv_transpose3d"]
