"""bincount, bucketize, searchsorted, cdist, clamp_min/clamp_max, index_copy: small ops composed from
the primitives (the counting ones read their integer input on the host: one copy back on cuda)."""
import numpy as np

from ._util import is_tensor


def bincount(input, weights=None, minlength=0):
    """Occurrences of each value 0..max(input) of a 1-D non-negative int tensor (weighted sums with
    weights; float64 then, as PyTorch, unless weights are float32)."""
    from .creation import tensor
    if input.dim() != 1 or input.dtype.is_floating_point:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    a = input.cpu().numpy()
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    n = max(int(a.max()) + 1 if a.size else 0, minlength)
    if weights is None:
        return tensor(np.bincount(a, minlength=n), device=input.device)
    from .creation import zeros
    out_dtype = weights.dtype if weights.dtype.name in ("float32", "float64") else None
    w = weights if out_dtype else weights.double()
    return zeros(n, dtype=w.dtype, device=w.device).index_add(0, input, w)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Insertion indices of input's values in sorted_sequence's last dim (numpy's rule per row)."""
    from .creation import tensor
    if side is not None:
        right = side == "right"
    seq = sorted_sequence.detach().cpu().numpy()
    vals = input.detach().cpu().numpy() if is_tensor(input) else np.asarray(input)
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter.cpu().numpy(), -1)
    how = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=how)
    else:
        flat_s, flat_v = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(flat_s, flat_v)]).reshape(vals.shape)
    dev = sorted_sequence.device
    return tensor(out.astype(np.int32 if out_int32 else np.int64), device=dev)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """Index of the bucket of each value: boundaries[i-1] < x <= boundaries[i] (right=False)."""
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of x1 (*, P, M) and x2 (*, R, M) -> (*, P, R)."""
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.dtype.is_floating_point:
            from .. import _dtype
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_dtype.SCALAR_TYPE_NAMES[x.dtype.name]}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 2:
        return diff.norm(2, -1)
    a = diff.abs()
    if p == float("inf"):
        return a.amax(-1)
    if p == 0:
        return (a != 0).to(x1.dtype).sum(-1)
    if p == 1:
        return a.sum(-1)
    return (a ** p).sum(-1) ** (1.0 / p)


def clamp_min(input, min):
    return input.clamp(min=min)


def clamp_max(input, max):
    return input.clamp(max=max)


def index_copy(input, dim, index, source):
    """input with the slices at `index` along dim replaced by source's (differentiable in both)."""
    from .creation import ones_like
    d = input._dim(dim) if input.dim() else 0
    keep = ones_like(input).index_fill(d, index, 0.0) if hasattr(input, "index_fill") else \
        ones_like(input).index_add(d, index, -ones_like(source))
    return input * keep + (input * 0).index_add(d, index, source)
