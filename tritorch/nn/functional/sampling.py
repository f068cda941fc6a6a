"""affine_grid and grid_sample (2-D: bilinear / nearest, zeros / border / reflection padding),
composed from gather and elementwise ops, so gradients flow to the input and to the grid."""
import warnings

import tritorch

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _base(n, align_corners, like):
    if align_corners:
        return tritorch.linspace(-1.0, 1.0, n, dtype=like.dtype, device=like.device) if n > 1 else \
            tritorch.zeros(1, dtype=like.dtype, device=like.device)
    return (tritorch.arange(n, dtype=like.dtype, device=like.device) * 2 + 1) / n - 1


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) of the 2-D affine maps theta (N, 2, 3) for an output of size (N, C, H, W)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) != 4:
        raise NotImplementedError(f"affine_grid only supports 4D sizes, for 2D affine transforms in tritorch. Got "
                                  f"size {list(size)}.")
    if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {list(size)}. Got "
                         f"{list(theta.shape)}.")
    n, _, h, w = size
    xs = _base(w, align_corners, theta).reshape(1, w).expand(h, w)
    ys = _base(h, align_corners, theta).reshape(h, 1).expand(h, w)
    base = tritorch.stack([xs, ys, tritorch.ones_like(xs)], -1).reshape(1, h * w, 3)
    return (base @ theta.transpose(1, 2)).reshape(n, h, w, 2)


def _unnormalize(coord, size, align_corners):
    return (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2


def _reflect(x, low, high):
    """Reflect x into [low, high] (a triangle wave of period 2 (high - low))."""
    span = high - low
    if span <= 0:
        return x * 0
    y = (x - low).abs().remainder(2 * span)
    return tritorch.where(y > span, 2 * span - y, y) + low


def _source(coord, size, padding_mode, align_corners):
    x = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        x = x.clamp(0, size - 1)
    elif padding_mode == "reflection":
        x = _reflect(x, 0, size - 1) if align_corners else _reflect(x, -0.5, size - 0.5).clamp(0, size - 1)
    return x


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample input (N, C, H, W) at grid (N, Ho, Wo, 2) of (x, y) in [-1, 1] -> (N, C, Ho, Wo).

    mode: 'bilinear' or 'nearest' ('bicubic' and 5-D inputs are not implemented); padding_mode:
    'zeros', 'border' or 'reflection'; align_corners (default False, with PyTorch's warning)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if input.dim() != 4 or mode == "bicubic":
        raise NotImplementedError("tritorch's grid_sample covers 4-D input with bilinear or nearest mode")
    if grid.dim() != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension and the same batch size "
                           f"as input, but got grid with sizes {list(grid.shape)} for input {list(input.shape)}")
    n, c, h, w = input.shape
    ho, wo = grid.shape[1:3]
    x = _source(grid[..., 0], w, padding_mode, align_corners)
    y = _source(grid[..., 1], h, padding_mode, align_corners)
    flat = input.reshape(n, c, h * w)

    def tap(ix, iy):
        inside = (ix >= 0) & (ix <= w - 1) & (iy >= 0) & (iy <= h - 1)
        idx = (iy.clamp(0, h - 1) * w + ix.clamp(0, w - 1)).long().reshape(n, 1, ho * wo).expand(n, c, ho * wo)
        vals = flat.gather(2, idx).reshape(n, c, ho, wo)
        return vals, inside.to(input.dtype).unsqueeze(1)

    if mode == "nearest":
        vals, inside = tap(x.detach().round(), y.detach().round())
        zero_grid_grad = ((x - x.detach()) + (y - y.detach())).unsqueeze(1) * 0  # PyTorch: the grid gets zeros
        return vals * inside + zero_grid_grad
    x0, y0 = x.detach().floor(), y.detach().floor()
    wx1, wy1 = (x - x0).unsqueeze(1), (y - y0).unsqueeze(1)
    wx0, wy0 = 1 - wx1, 1 - wy1
    out = 0
    for ix, iy, wgt in ((x0, y0, wx0 * wy0), (x0 + 1, y0, wx1 * wy0), (x0, y0 + 1, wx0 * wy1),
                        (x0 + 1, y0 + 1, wx1 * wy1)):
        vals, inside = tap(ix, iy)
        out = out + vals * inside * wgt
    return out
