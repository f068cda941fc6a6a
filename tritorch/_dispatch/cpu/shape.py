"""Views (no copy: numpy strides) and the copies that change layout."""
import numpy as np

__all__ = ["view", "reshape", "permute", "broadcast_to", "basic_index", "contiguous", "is_contiguous",
           "concatenate", "stack", "flip", "roll", "tril", "triu", "pad", "diagonal", "strides_of",
           "as_strided", "copy"]


def view(a, shape):
    """A view of `a` with `shape`, or None when the strides make that impossible."""
    try:
        return np.reshape(a, shape, copy=False)
    except ValueError:
        return None


def reshape(a, shape):
    return np.reshape(a, shape)


def permute(a, dims):
    return np.transpose(a, dims)


def broadcast_to(a, shape):
    return np.broadcast_to(a, shape)


def basic_index(a, index):
    """a[index] for an index of ints, slices, None and Ellipsis: always a view (an Ellipsis
    makes numpy return a 0-d array view rather than a scalar copy when every dim is an int)."""
    return a[index if Ellipsis in index else index + (Ellipsis,)]


def contiguous(a):
    return np.ascontiguousarray(a)


def is_contiguous(a):
    return a.flags.c_contiguous


def strides_of(a):
    """Strides in elements, as PyTorch's Tensor.stride()."""
    return tuple(s // a.itemsize for s in a.strides)


def as_strided(a, shape, strides, offset):
    base = a if a.base is None else a.base
    start = a.__array_interface__["data"][0] - np.asarray(base).__array_interface__["data"][0]
    return np.lib.stride_tricks.as_strided(np.asarray(base).reshape(-1)[start // a.itemsize + offset:],
                                           shape, [s * a.itemsize for s in strides])


def concatenate(arrays, axis, dtype):
    return np.concatenate([x.astype(dtype, copy=False) for x in arrays], axis=axis)


def stack(arrays, axis, dtype):
    return np.stack([x.astype(dtype, copy=False) for x in arrays], axis=axis)


def flip(a, dims):
    return np.flip(a, dims).copy()


def roll(a, shifts, dims):
    return np.roll(a, shifts, dims)


def tril(a, k):
    return np.tril(a, k)


def triu(a, k):
    return np.triu(a, k)


def pad(a, widths, value):
    """widths: ((before, after), ...) per axis; negative widths crop."""
    crop = tuple(slice(max(-b, 0), a.shape[i] - max(-e, 0)) for i, (b, e) in enumerate(widths))
    a = a[crop]
    return np.pad(a, [(max(b, 0), max(e, 0)) for b, e in widths], constant_values=value)


def diagonal(a, offset, dim1, dim2):
    """A writable view (numpy returns a read-only one; PyTorch's diagonal can be written through)."""
    d = np.diagonal(a, offset, dim1, dim2)
    if a.flags.writeable:
        d.flags.writeable = True
    return d


def copy(a):
    """A new C-contiguous array with a's values."""
    return np.array(a, copy=True, order="C")
