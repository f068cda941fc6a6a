"""Views (no copy: DeviceArray strides) and the copies that change layout."""
import numpy as np

from tritorch import cuda
from tritorch.cuda import DeviceArray
from tritorch.kernels.elementwise import elementwise

from .creation import copy_fill
from .elementwise import copy_

__all__ = ["view", "reshape", "permute", "broadcast_to", "basic_index", "contiguous", "is_contiguous",
           "concatenate", "stack", "flip", "roll", "tril", "triu", "pad", "diagonal", "strides_of",
           "as_strided", "copy"]


def view(a, shape):
    """A view of `a` with `shape`, or None when the strides make that impossible."""
    try:
        return a.reshape(shape)
    except ValueError:
        return None


def reshape(a, shape):
    out = view(a, shape)
    return out if out is not None else a.clone().reshape(shape)


def permute(a, dims):
    return a.permute(tuple(dims))


def broadcast_to(a, shape):
    return a.broadcast_to(shape)


def basic_index(a, index):
    """a[index] for an index of ints, slices, None and Ellipsis: always a view."""
    return a[index]


def contiguous(a):
    return a.contiguous()


def is_contiguous(a):
    return a.is_contiguous()


def strides_of(a):
    """Strides in elements, as PyTorch's Tensor.stride()."""
    return tuple(a.strides)


def as_strided(a, shape, strides, offset):
    """A view of a's storage; `offset` counts elements from a's first element (as on the CPU)."""
    return DeviceArray(a.storage, shape, a.dtype, strides, a.offset + offset)


def copy(a):
    """A new contiguous array with a's values."""
    return a.clone()


def _slice(ndim, axis, sl):
    return (slice(None),) * axis + (sl,) + (slice(None),) * (ndim - axis - 1)


def concatenate(arrays, axis, dtype):
    shape = list(arrays[0].shape)
    shape[axis] = sum(x.shape[axis] for x in arrays)
    out = cuda.empty(shape, dtype)
    start = 0
    for x in arrays:
        n = x.shape[axis]
        if n:
            copy_(out[_slice(out.ndim, axis, slice(start, start + n))], x)
        start += n
    return out


def stack(arrays, axis, dtype):
    return concatenate([x[_slice(x.ndim, axis, None)] for x in arrays], axis, dtype)


def flip(a, dims):
    return a[tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(a.ndim))].clone()


def roll(a, shifts, dims):
    """numpy's roll: `dims` None rolls the flattened array."""
    if dims is None:
        return roll(a.contiguous().reshape(-1), shifts, 0).reshape(a.shape)
    out = a
    for shift, axis in np.broadcast(shifts, dims):
        n = out.shape[axis]
        if n == 0:
            continue
        s = int(shift) % n
        rolled = cuda.empty(out.shape, out.dtype)
        copy_(rolled[_slice(out.ndim, axis, slice(s, n))], out[_slice(out.ndim, axis, slice(0, n - s))])
        if s:
            copy_(rolled[_slice(out.ndim, axis, slice(0, s))], out[_slice(out.ndim, axis, slice(n - s, n))])
        out = rolled
    return out if out is not a else a.clone()


def tril(a, k):
    return elementwise("tril", [a, a.shape[-1], k], a.dtype, n_rows=a.shape[-2])


def triu(a, k):
    return elementwise("triu", [a, a.shape[-1], k], a.dtype, n_rows=a.shape[-2])


def pad(a, widths, value):
    """widths: ((before, after), ...) per axis; negative widths crop."""
    a = a[tuple(slice(max(-b, 0), a.shape[i] - max(-e, 0)) for i, (b, e) in enumerate(widths))]
    shape = [n + max(b, 0) + max(e, 0) for n, (b, e) in zip(a.shape, widths)]
    out = copy_fill(cuda.empty(shape, a.dtype), value)
    copy_(out[tuple(slice(max(b, 0), max(b, 0) + n) for n, (b, _) in zip(a.shape, widths))], a)
    return out


def diagonal(a, offset, dim1, dim2):
    """numpy's diagonal: a view with the diagonal as the last dim."""
    n1, n2 = a.shape[dim1], a.shape[dim2]
    s1, s2 = a.strides[dim1], a.strides[dim2]
    length = max(0, min(n1 - max(-offset, 0), n2 - max(offset, 0)))
    start = a.offset + (offset * s2 if offset >= 0 else -offset * s1) if length else a.offset
    rest = [d for d in range(a.ndim) if d not in (dim1, dim2)]
    return DeviceArray(a.storage, [a.shape[d] for d in rest] + [length], a.dtype,
                       [a.strides[d] for d in rest] + [s1 + s2], start)
