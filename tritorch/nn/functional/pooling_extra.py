"""adaptive_max_pool1d/2d and max_pool3d, composed from slicing, gather and max_pool2d (so the
gradients and the cuda device come from existing primitives)."""
import math

import numpy as np

import tritorch
from .misc import pad as _pad
from .pooling import max_pool2d
from ..._ops.complex import refuse_complex

__all__ = ["adaptive_max_pool1d", "adaptive_max_pool2d", "max_pool3d"]


def _bounds(size, out):
    i = np.arange(out)
    return (i * size) // out, ((i + 1) * size + out - 1) // out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over PyTorch's adaptive windows floor(i H / h) .. ceil((i + 1) H / h) of (N, C, H, W) or
    (C, H, W); with return_indices, also the flat index (into H * W) of each maximum."""
    refuse_complex("adaptive_max_pool2d", input)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    h, w = input.shape[-2:]
    oh, ow = (h if sizes[0] is None else sizes[0]), (w if sizes[1] is None else sizes[1])
    hs, he = _bounds(h, oh)
    ws, we = _bounds(w, ow)
    rows = []
    for i in range(oh):
        cols = []
        for j in range(ow):
            win = input[..., hs[i]:he[i], ws[j]:we[j]].detach()
            r = win.reshape(*win.shape[:-2], -1).argmax(-1)
            wl = int(we[j] - ws[j])
            cols.append((r // wl + int(hs[i])) * w + (r % wl + int(ws[j])))
        rows.append(tritorch.stack(cols, -1))
    idx = tritorch.stack(rows, -2)  # (..., oh, ow) flat indices into H * W
    flat = input.reshape(*input.shape[:-2], h * w)
    values = flat.gather(-1, idx.reshape(*idx.shape[:-2], oh * ow)).reshape(idx.shape)
    return (values, idx) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """adaptive_max_pool2d over (N, C, L) or (C, L)."""
    refuse_complex("adaptive_max_pool2d", input)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: {list(input.shape)}")
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), True)
    values, idx = out[0].squeeze(-2), out[1].squeeze(-2)
    return (values, idx) if return_indices else values


def _triple(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * 3


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-D max pooling of (N, C, D, H, W) or (C, D, H, W): max_pool2d over (H, W) for each depth, then
    the max over each depth window. return_indices is not implemented."""
    refuse_complex("max_pool3d", input)
    if return_indices:
        raise NotImplementedError("max_pool3d(return_indices=True) is not implemented in tritorch")
    if input.dim() == 4:
        return max_pool3d(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode).squeeze(0)
    if input.dim() != 5:
        raise RuntimeError(f"max_pool3d: Expected 4D or 5D input, but got {list(input.shape)}")
    k, d = _triple(kernel_size), _triple(dilation)
    s = k if stride is None or stride == [] or stride == () else _triple(stride)
    p = _triple(padding)
    if any(pp > kk // 2 for pp, kk in zip(p, k)):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[0]}, "
                           f"kernel_size={k[0]} and dilation={d[0]}")
    n, c, depth, h, w = input.shape
    y = max_pool2d(input.reshape(n, c * depth, h, w), k[1:], s[1:], p[1:], d[1:], ceil_mode)
    y = y.reshape(n, c, depth, *y.shape[-2:])
    span = d[0] * (k[0] - 1) + 1
    rnd = math.ceil if ceil_mode else math.floor
    od = rnd((depth + 2 * p[0] - span) / s[0]) + 1
    if ceil_mode and (od - 1) * s[0] >= depth + p[0]:
        od -= 1
    need = (od - 1) * s[0] + span - depth - p[0]
    y = _pad(y, (0, 0, 0, 0, p[0], max(need, 0)), value=float("-inf"))
    taps = [y[:, :, t * d[0]:t * d[0] + s[0] * (od - 1) + 1:s[0]] for t in range(k[0])]
    return tritorch.stack(taps, 0).amax(0)
