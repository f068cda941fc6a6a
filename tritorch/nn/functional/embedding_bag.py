"""embedding_bag: sums, means or maxima of bags of embedding rows, without the (N, D) detour.

Bags are laid out on the host as a (B, longest bag) index matrix (the offsets are read back, one
synchronisation on cuda), the rows are looked up with F.embedding and reduced over the bag dim
with a validity mask, so the gradient comes from the existing differentiable ops.
"""
import numpy as np

import tritorch
from .embedding import embedding

__all__ = ["embedding_bag"]


def _bag_layout(input, offsets, include_last_offset):
    """(index matrix (B, L) int64, valid mask (B, L) bool, flat position (B, L)) on the host."""
    idx = input.cpu().numpy().astype(np.int64)
    if input.dim() == 2:
        b, n = idx.shape
        return idx, np.ones((b, n), bool), np.arange(b * n).reshape(b, n)
    offs = offsets.cpu().numpy().astype(np.int64)
    total = idx.shape[0]
    if include_last_offset:
        starts, ends = offs[:-1], offs[1:]
    else:
        starts, ends = offs, np.append(offs[1:], total)
    if len(offs) and offs[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {offs[0]}")
    if len(offs) and (offs[-1] > total or np.any(np.diff(offs) < 0)):
        raise RuntimeError(f"offsets must be non-decreasing and at most the input length {total}, got "
                           f"{offs.tolist()}")
    longest = int((ends - starts).max()) if len(starts) else 0
    pos = starts[:, None] + np.arange(longest)[None, :]
    valid = pos < ends[:, None]
    pos = np.where(valid, pos, 0)
    mat = idx[pos] if total else np.zeros(pos.shape, np.int64)
    return mat, valid, pos


def _sparse_bags(input, weight, offsets, max_norm, norm_type, mode, per_sample_weights, include_last_offset,
                 padding_idx):
    """mode 'sum'/'mean' with a sparse weight gradient laid out as PyTorch's: one row per input
    position (padding_idx dropped) holding its bag's output gradient (/ bag size, * sample weight)."""
    mat, valid, pos = _bag_layout(input, offsets, include_last_offset)
    dev, n_bags = weight.device, mat.shape[0]
    flat = input.reshape(-1)
    ids = flat.cpu().numpy()
    bag = np.full(ids.shape[0], -1, np.int64)
    bag[pos[valid]] = np.nonzero(valid)[0]
    keep = bag >= 0
    if padding_idx is not None:
        keep &= ids != padding_idx
    rows = embedding(flat, weight, padding_idx, max_norm, norm_type, False, True)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1).to(rows.dtype)
    where = tritorch.tensor(np.nonzero(keep)[0], device=dev)
    out = weight.new_zeros((n_bags, weight.shape[1])).index_add(0, tritorch.tensor(bag[keep], device=dev),
                                                                rows.index_select(0, where))
    if mode == "mean":
        count = np.bincount(bag[keep], minlength=n_bags)
        out = out / tritorch.tensor(np.maximum(count, 1), dtype=weight.dtype, device=dev).unsqueeze(-1)
    return out


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Reduce bags of rows of weight (num_embeddings, D) -> (B, D).

    input: (B, N) fixed-size bags, or (total,) with offsets (B,) (or (B + 1,) with
    include_last_offset) giving each bag's start. mode: 'sum', 'mean' or 'max'; per_sample_weights
    (input's shape, mode='sum' only) scale each row; padding_idx entries are left out (and out of
    the mean's count); an empty bag gives zeros. Output dtype = weight's dtype.
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                             f"length sequences. However, found offsets of type {type(offsets)}")
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    n = weight.shape[0]
    if padding_idx is not None:
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
        if not 0 <= padding_idx < n:
            raise AssertionError("padding_idx must be within the number of embeddings")
    if sparse:
        return _sparse_bags(input, weight, offsets, max_norm, norm_type, mode, per_sample_weights,
                            include_last_offset, padding_idx)
    mat, valid, pos = _bag_layout(input, offsets, include_last_offset)
    if padding_idx is not None:
        valid = valid & (mat != padding_idx)
    dev = weight.device
    rows = embedding(tritorch.tensor(mat, device=dev), weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)
    mask = tritorch.tensor(valid, device=dev)
    count = valid.sum(1)
    if mode == "max":
        out = rows.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1) if mat.shape[1] else \
            weight.new_zeros((mat.shape[0], weight.shape[1]))
        return out.masked_fill(tritorch.tensor(count == 0, device=dev).unsqueeze(-1), 0.0)
    w = mask.to(weight.dtype)
    if per_sample_weights is not None:
        w = w * per_sample_weights.reshape(-1)[tritorch.tensor(pos, device=per_sample_weights.device)].to(dev)
    out = (rows * w.unsqueeze(-1)).sum(1)
    if mode == "mean":
        out = out / tritorch.tensor(np.maximum(count, 1), dtype=weight.dtype, device=dev).unsqueeze(-1)
    return out
