"""median, nanmedian, kthvalue, mode: order statistics built on sort and gather, so the values
carry PyTorch's gradients (to the selected element; the global median shares it between ties)."""
import collections

import numpy as np


return_median = collections.namedtuple("median", ["values", "indices"])
return_nanmedian = collections.namedtuple("nanmedian", ["values", "indices"])
return_kthvalue = collections.namedtuple("kthvalue", ["values", "indices"])
return_mode = collections.namedtuple("mode", ["values", "indices"])


def _kth_index(input, axis, rank, nan_first):
    """int64 indices (keepdim) of the rank-th smallest along axis; rank (int or per-row tensor).
    nan_first: a row holding NaN selects its first NaN (PyTorch's NaN propagation)."""
    from .creation import full
    values, order = input.sort(axis, stable=True)
    pick = full(tuple(values.shape[:axis]) + (1,) + tuple(values.shape[axis + 1:]), 0, dtype=order.dtype,
                device=input.device) + rank
    if nan_first and input.dtype.is_floating_point:
        nans = values.isnan().sum(axis, keepdim=True)
        pick = (nans > 0).long() * (input.shape[axis] - nans) + (nans == 0).long() * pick
    return order.gather(axis, pick)


def _select(input, dim, keepdim, rank_fn, nan_first, name, result):
    if input.dim() == 0:
        return result(input.clone(), input.new_zeros((), dtype=None).long())
    axis = input._dim(dim)
    n = input.shape[axis]
    if n == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    idx = _kth_index(input, axis, rank_fn(input, axis), nan_first)
    values = input.gather(axis, idx)
    if not keepdim:
        values, idx = values.squeeze(axis), idx.squeeze(axis)
    return result(values, idx)


def _refuse_complex(kernel, input):
    """Complex numbers have no order: PyTorch's error rather than numpy's lexicographic one."""
    if input.dtype.is_complex:
        from .. import _dtype
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.SCALAR_TYPE_NAMES[input.dtype.name]}'")


def median(input, dim=None, keepdim=False):
    """Lower median ((n - 1) // 2-th smallest). Without dim: a 0-d tensor over all elements (the
    gradient shared between elements equal to it); with dim: (values, indices). NaN propagates."""
    _refuse_complex("median_cpu", input)
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            return input.new_full((), float("nan"))
        v = flat.gather(0, _kth_index(flat, 0, (flat.numel() - 1) // 2, True))
        if not input.requires_grad:
            return v.reshape(())
        hit = flat == v.detach()
        from .elementwise import where
        share = where(hit, flat, flat.new_zeros(())).sum() / hit.sum().clamp(min=1)
        return where(v.isnan().reshape(()), v.reshape(()), share)
    return _select(input, dim, keepdim, lambda x, a: (x.shape[a] - 1) // 2, True, "median()", return_median)


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaN (NaN only where a row is all NaN)."""
    _refuse_complex("nanmedian_cpu", input)
    def rank(x, a):
        valid = (~x.isnan()).sum(a, keepdim=True)
        return ((valid - 1).clamp(min=0)) // 2
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            return input.new_full((), float("nan"))
        return flat.gather(0, _kth_index(flat, 0, rank(flat, 0), False)).reshape(())
    return _select(input, dim, keepdim, rank, False, "nanmedian()", return_nanmedian)


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest (1-based) along dim."""
    _refuse_complex("kthvalue_cpu", input)
    n = input.shape[input._dim(dim)] if input.dim() else 1
    if not 1 <= k <= n:
        axis = input._dim(dim) if input.dim() else 0
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    return _select(input, dim, keepdim, lambda x, a: k - 1, True, "kthvalue()", return_kthvalue)


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along dim (the smallest among equally frequent
    ones) and the index of its last occurrence, as PyTorch's CPU kernel. Counted on the host (one
    copy back on cuda); values carry the gradient through gather."""
    _refuse_complex("mode_cpu", input)
    if input.dim() == 0:
        return return_mode(input.clone(), input.new_zeros((), dtype=None).long())
    axis = input._dim(dim)
    if input.shape[axis] == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
    a = np.moveaxis(input.detach().cpu().numpy(), axis, -1)
    rows = a.reshape(-1, a.shape[-1])
    best = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        vals, counts = np.unique(row, return_counts=True)
        v = vals[np.argmax(counts)]  # np.unique sorts, argmax takes the first (smallest) of the most frequent
        best[r] = np.flatnonzero(row == v)[-1] if not np.isnan(v) else np.flatnonzero(np.isnan(row))[-1]
    idx = np.moveaxis(best.reshape(a.shape[:-1] + (1,)), -1, axis)
    from .creation import tensor
    idx = tensor(np.ascontiguousarray(idx), device=input.device)
    values = input.gather(axis, idx)
    if not keepdim:
        values, idx = values.squeeze(axis), idx.squeeze(axis)
    return return_mode(values, idx)
