"""sort, argsort, topk, unique."""
import collections

from ..autograd.function import Function
from ._util import wrap

return_sort = collections.namedtuple("sort", ["values", "indices"])
return_topk = collections.namedtuple("topk", ["values", "indices"])


class _Select(Function):
    """values = x gathered at `indices` along axis; backward scatters the gradient back."""

    @staticmethod
    def forward(ctx, x, axis, values, indices):
        ctx.save_for_backward(indices)
        ctx.meta = (x.shape, axis)
        out = wrap(values, x.device)
        return out

    @staticmethod
    def backward(ctx, g):
        indices, = ctx.saved_tensors
        shape, axis = ctx.meta
        return g.new_zeros(shape).scatter(axis, indices, g), None, None, None


def _no_complex(input, message):
    """Complex numbers have no order: PyTorch refuses, and so does tritorch (numpy would sort lexicographically)."""
    if input.dtype.is_complex:
        raise RuntimeError(message)


def sort(input, dim=-1, descending=False, *, stable=False):
    _no_complex(input, " Sort does not support complex dtypes on CPU")
    if input.dim() == 0:
        return return_sort(input.clone(), input.new_zeros((), dtype=None).long())
    axis = input._dim(dim)
    values, idx = input._b.sort(input._data, axis, descending, stable)
    indices = wrap(idx, input.device)
    return return_sort(_Select.apply(input, axis, values, indices), indices)


def argsort(input, dim=-1, descending=False, *, stable=False):
    return sort(input, dim, descending, stable=stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True):
    _no_complex(input, " topk does not support complex dtypes on CPU")
    axis = input._dim(dim) if input.dim() else 0
    n = input.shape[axis] if input.dim() else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range")
    if input.dim() == 0:
        return return_topk(input.clone(), input.new_zeros((), dtype=None).long())
    values, idx = input._b.topk(input._data, k, axis, largest, sorted)
    indices = wrap(idx, input.device)
    return return_topk(_Select.apply(input, axis, values, indices), indices)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    if input.dtype.is_complex:
        raise NotImplementedError("\"unique\" not implemented for 'ComplexFloat'" if input.dtype.name == "complex64"
                                  else "\"unique\" not implemented for 'ComplexDouble'")
    values, inverse, counts = input._b.unique(input._data, sorted, return_inverse, return_counts, dim)
    out = [wrap(values, input.device)]
    if return_inverse:
        out.append(wrap(inverse, input.device))
    if return_counts:
        out.append(wrap(counts, input.device))
    return out[0] if len(out) == 1 else tuple(out)
