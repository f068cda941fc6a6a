"""interpolate / upsample: resize the spatial dims of (N, C, *spatial) tensors.

Every mode is separable, so each spatial dim is resized on its own: the nearest modes pick rows
with index_select, the others multiply by an (out, in) interpolation matrix built on the host from
PyTorch's source-coordinate rules (align_corners, scale_factor). Both are ordinary differentiable
ops, so the gradient and every device come from the existing primitives.
"""
import math

import numpy as np

import tritorch
from ..._ops.complex import refuse_complex

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")


def _source_scale(n_in, n_out, align_corners, scale):
    """PyTorch's area_pixel_compute_scale: input step per output step."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _nearest_index(n_in, n_out, scale, exact):
    """Source row of each output row, computed in float32 as PyTorch's kernels do."""
    s = np.float32(1.0 / scale if scale is not None and scale > 0 else n_in / n_out)
    i = np.arange(n_out, dtype=np.float32)
    src = np.floor((i + np.float32(0.5)) * s) if exact else np.floor(i * s)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _cubic_weights(t, a=-0.75):
    """Keys' cubic convolution weights of the 4 taps around a fractional offset t in [0, 1)."""
    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def _interp_matrix(n_in, n_out, mode, align_corners, scale):
    """(n_out, n_in) float64 matrix whose row i mixes the inputs that output i reads."""
    s = _source_scale(n_in, n_out, align_corners, scale)
    i = np.arange(n_out, dtype=np.float64)
    src = i * s if align_corners else s * (i + 0.5) - 0.5
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode == "bicubic":
        i0 = np.floor(src).astype(np.int64)
        w = _cubic_weights(src - i0)
        for k in range(4):
            np.add.at(m, (rows, np.clip(i0 - 1 + k, 0, n_in - 1)), w[:, k])
        return m
    src = np.maximum(src, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    np.add.at(m, (rows, i0), 1.0 - lam)
    np.add.at(m, (rows, i1), lam)
    return m


def _resize_dim(x, d, n_out, mode, align_corners, scale):
    n_in = x.shape[d]
    if mode in ("nearest", "nearest-exact"):
        if n_in == n_out and scale is None:
            return x
        idx = _nearest_index(n_in, n_out, scale, mode == "nearest-exact")
        return x.index_select(d, tritorch.tensor(idx, device=x.device))
    if mode == "area":
        start = (np.arange(n_out) * n_in) // n_out
        end = ((np.arange(n_out) + 1) * n_in + n_out - 1) // n_out
        j = np.arange(n_in)
        m = ((j >= start[:, None]) & (j < end[:, None])) / (end - start)[:, None]
    else:
        m = _interp_matrix(n_in, n_out, mode, align_corners, scale)
    w = tritorch.tensor(m, dtype=x.dtype, device=x.device)
    return (x.transpose(d, -1) @ w.mT).transpose(d, -1)


def _sizes(input, size, scale_factor, recompute_scale_factor, mode):
    """(output sizes, scales handed to the kernels) from PyTorch's size / scale_factor rules."""
    dim = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {spatial} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, "
                                f"int], but got size with types {[type(s) for s in size]}")
            out = [int(s) for s in size]
        else:
            out = [int(size)] * dim
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return out, [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {spatial} and scale_factor of shape {scale_factor}. Please provide input tensor in "
                "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    out = [int(math.floor(n * s)) for n, s in zip(spatial, scales)]
    if recompute_scale_factor or mode == "area":
        scales = [None] * dim
    return out, scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) to `size` or by `scale_factor`.

    mode: 'nearest' (PyTorch's legacy floor rule), 'nearest-exact', 'linear' (3-D), 'bilinear' and
    'bicubic' (4-D), 'trilinear' (5-D), 'area' (adaptive average pooling). align_corners (linear
    modes only, default False) maps the corner pixels onto each other. Output dtype = input dtype.
    antialias=True is not implemented (it raises).
    """
    refuse_complex("compute_indices_weights_nearest", input)
    if mode not in _MODES:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: nearest | "
            f"linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear "
                             "| bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if input.dim() not in (3, 4, 5):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: nearest | "
            f"linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})")
    out, scales = _sizes(input, size, scale_factor, recompute_scale_factor, mode)
    if antialias:
        if not (mode in ("bilinear", "bicubic") and input.dim() == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                             "4-D tensor as input")
        raise NotImplementedError("interpolate(antialias=True) is not implemented in tritorch")
    need = _LINEAR.get(mode, 4 if mode == "bicubic" else input.dim())
    if input.dim() != need:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need}D input")
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input (D: H: W) = "
                           f"{list(input.shape[2:])}, output (D: H: W) = {out}")
    if not input.dtype.is_floating_point and mode not in ("nearest", "nearest-exact"):
        raise RuntimeError(f"\"upsample_{mode}\" not implemented for '{input.dtype.name.capitalize()}'")
    x = input
    for k, (n_out, s) in enumerate(zip(out, scales)):
        x = _resize_dim(x, 2 + k, n_out, mode, align_corners, s)
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate (PyTorch warns; so do we)."""
    import warnings
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _check_shuffle(input, r, name):
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {input.dim()} "
                           "dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{name} expects a positive factor, but got {r}")


def pixel_shuffle(input, upscale_factor):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r)."""
    r = int(upscale_factor)
    _check_shuffle(input, r, "pixel_shuffle")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W)."""
    r = int(downscale_factor)
    _check_shuffle(input, r, "pixel_unshuffle")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by downscale_factor, but input "
                           f"of size {list(input.shape)} is not divisible by {r}")
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


__all__ += ["pixel_shuffle", "pixel_unshuffle"]
