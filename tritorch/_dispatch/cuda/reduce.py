"""Reductions over any set of axes, arg-reductions, scans, softmax and sorts (`tritorch.kernels.reduce`,
`tritorch.kernels.softmax`, `tritorch.kernels.sort`): all on the device, for every dtype and row
length."""
import numpy as np

from tritorch import cuda
from tritorch.cuda import as_dtype
from tritorch.kernels import reduce as _k, segment as _seg
from tritorch.kernels.indexing import compact
from tritorch.kernels.elementwise import elementwise
from tritorch.kernels.softmax import softmax as _softmax
from tritorch.kernels.sort import argsort

from ..cpu.reduce import unique as _host_unique
from .indexing import gather, index_select, scatter

__all__ = ["reduce", "arg_reduce", "var", "cumulative", "logsumexp", "sort", "topk", "unique", "softmax"]

_KERNEL_SOFTMAX = (np.dtype(np.float32), np.dtype(np.float16), as_dtype("bfloat16"))


def _axes(a, axes):
    return tuple(axes) if axes else tuple(range(a.ndim))


def _keep(out, a, axes, keepdim):
    """A reduction result (kept dims only, contiguous) reshaped for `keepdim`."""
    if not keepdim:
        return out
    return out.reshape(tuple(1 if d in axes else n for d, n in enumerate(a.shape)))


def reduce(op, a, axes, keepdim, dtype=None):
    """op over `axes` (a tuple; () means every axis). `dtype`: the result's dtype."""
    axes = _axes(a, axes)
    empty_reduction = any(a.shape[d] == 0 for d in axes) and all(a.shape[d] for d in range(a.ndim) if d not in axes)
    if op in ("amax", "amin") and empty_reduction:
        raise IndexError(f"{op}(): Expected reduction dim {axes[0]} to have non-zero size.")
    return _keep(_k.reduce(op, a, axes, dtype or a.dtype), a, axes, keepdim)


def arg_reduce(op, a, axis, keepdim):
    """argmax/argmin along `axis` (None: over the flattened array), int64. NaN wins, as in PyTorch."""
    if axis is None:
        out = _k.arg_reduce(op, a.contiguous().reshape(-1), 0)
        return out.reshape((1,) * a.ndim) if keepdim else out
    if a.ndim == 0:
        return _k.arg_reduce(op, a.reshape(1), 0)
    return _keep(_k.arg_reduce(op, a, axis), a, (axis,), keepdim)


def var(a, axes, correction, keepdim):
    axes = _axes(a, axes)
    return _keep(_k.two_pass("var", a, axes, correction), a, axes, keepdim)


def logsumexp(a, axes, keepdim):
    axes = _axes(a, axes)
    return _keep(_k.two_pass("logsumexp", a, axes), a, axes, keepdim)


def cumulative(op, a, axis):
    if a.ndim == 0:
        return _k.scan(op, a.reshape(1), 0).reshape(())
    return _k.scan(op, a, axis)


def softmax(a, axis, log):
    """softmax (log=False) or log_softmax (log=True) along axis, a's dtype. float64 (which the fused
    kernel does not take) is exp(x - logsumexp) in float64."""
    if a.dtype in _KERNEL_SOFTMAX:
        return _softmax(a, dim=axis, log=log)
    if a.ndim == 0:
        return softmax(a.reshape(1), 0, log).reshape(())
    lse = logsumexp(a, (axis,), True)
    shifted = elementwise("sub", [a, lse], a.dtype)
    # a +inf in the row: logsumexp is +inf, and PyTorch's x - max gives NaN everywhere in that row
    shifted = elementwise("where", [elementwise("eq", [lse, np.inf]), np.nan, shifted], a.dtype, compute=a.dtype)
    return shifted if log else elementwise("exp", [shifted])


def sort(a, axis, descending, stable=True):
    """(values, int64 indices) along axis, always stable; NaN sorts as the largest value (last
    ascending, first descending), -0.0 equal to 0.0."""
    idx = argsort(a, axis, descending)
    return gather(a, axis, idx), idx


def topk(a, k, axis, largest, sorted_):
    """The k largest (smallest) values and their indices along axis: the front of a sort."""
    values, idx = sort(a, axis, descending=largest)
    front = tuple(slice(0, k) if d == axis else slice(None) for d in range(a.ndim))
    return values[front], idx[front]


def unique(a, sorted_, return_inverse, return_counts, dim):
    """(sorted unique values, inverse indices (a's shape) or None, int64 counts or None); always
    sorted, each NaN its own value and -0.0 equal to 0.0 (as PyTorch). On the device for dim=None: a
    stable sort, run-start flags and their cumulative sum, whose last entry (the number of unique
    values) is read to the host, the one synchronisation (PyTorch makes it too). dim=int, unique
    slices, runs on the host (a copy there and back)."""
    if dim is not None:
        return tuple(cuda.to_device(x) for x in _host_unique(a.numpy(), sorted_, return_inverse, return_counts, dim))
    flat = a.reshape(-1) if a.ndim == 1 else a.contiguous().reshape(-1)
    n = flat.numel()
    order = argsort(flat, 0)
    values = gather(flat, 0, order)
    flags = _seg.run_starts(values)
    group = _k.scan("cumsum", flags, 0)  # 1 + the run of each sorted element
    count = int(group[-1:].numpy()[0]) if n else 0
    starts = compact(flags, group, count)
    inverse = counts = None
    if return_inverse:
        inverse = scatter(cuda.empty((n,), np.int64), 0, order, elementwise("sub", [group, 1], np.int64), None)
        inverse = inverse.reshape(a.shape)
    if return_counts:
        counts = _seg.run_lengths(starts, n)
    return index_select(values, 0, starts), inverse, counts
