"""Advanced indexing, gather/scatter and masks."""
import re

import numpy as np

__all__ = ["take", "index_put", "gather", "scatter", "index_select", "index_add", "masked_select", "nonzero",
           "check_index_range"]


def _torch_message(e):
    """numpy's IndexError in PyTorch's words ("... for dimension 0 ...", not "... for axis 0 ...";
    "... with shapes [2], [5]", not "... with shapes (2,) (5,)")."""
    text = str(e).replace(" for axis ", " for dimension ")
    text = re.sub(r"too many indices for array: array is (\d+)-dimensional, but \d+ were indexed",
                  r"too many indices for tensor of dimension \1", text)
    if "could not be broadcast together with shapes" in text:
        shapes = [f"[{s.rstrip(',')}]" for s in re.findall(r"\(([\d, ]*)\)", text)]
        text = f"shape mismatch: indexing tensors could not be broadcast together with shapes {', '.join(shapes)}"
    return IndexError(text)


def take(a, index):
    """a[index] with integer-array and boolean-array entries (numpy's rules are PyTorch's)."""
    try:
        return np.asarray(a[index])
    except IndexError as e:
        raise _torch_message(e) from None


def index_put(a, index, values, accumulate):
    """Out of place: a copy of `a` with a[index] = values (or += with accumulate, summing repeats)."""
    out = a.copy()
    try:
        if accumulate:
            np.add.at(out, index, values)
        else:
            out[index] = values
    except IndexError as e:
        raise _torch_message(e) from None
    return out


def _check_dim_index(idx, axis, size):
    """gather/scatter take indices in [0, size) only: PyTorch's RuntimeError naming the first bad one."""
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = int(idx.reshape(-1)[np.flatnonzero((idx.reshape(-1) < 0) | (idx.reshape(-1) >= size))[0]])
        raise RuntimeError(f"index {bad} is out of bounds for dimension {axis} with size {size}")


def gather(a, axis, idx):
    _check_dim_index(idx, axis, a.shape[axis] if a.ndim else 1)
    return np.take_along_axis(a, idx, axis)


def scatter(a, axis, idx, src, reduce):
    """Out of place scatter along `axis`: reduce None (replace) or 'add'. src: array or scalar."""
    _check_dim_index(idx, axis, a.shape[axis] if a.ndim else 1)
    out = a.copy()
    src = np.broadcast_to(np.asarray(src, a.dtype), idx.shape) if np.ndim(src) == 0 else src[
        tuple(slice(0, n) for n in idx.shape)]
    grids = list(np.indices(idx.shape, sparse=True))
    grids[axis] = idx
    if reduce == "add":
        np.add.at(out, tuple(grids), src)
    else:
        out[tuple(grids)] = src
    return out


def index_select(a, axis, idx):
    check_index_range(idx, a.shape[axis] if a.ndim else 1, False)  # PyTorch takes no negative index here
    return np.take(a, idx, axis=axis)


def index_add(a, axis, idx, src):
    check_index_range(idx, a.shape[axis] if a.ndim else 1, False)
    out = a.copy()
    sl = [slice(None)] * a.ndim
    sl[axis] = idx
    np.add.at(out, tuple(sl), src)
    return out


def masked_select(a, mask):
    a, mask = np.broadcast_arrays(a, mask)
    return a[mask]


def nonzero(a):
    return np.stack(np.nonzero(a), axis=-1).astype(np.int64) if a.ndim else np.zeros((int(bool(a)), 0), np.int64)


def check_index_range(idx, size, allow_negative):
    """IndexError unless every index lies in [-size, size) ([0, size) without allow_negative)."""
    if idx.size and (idx.max() >= size or idx.min() < (-size if allow_negative else 0)):
        raise IndexError("index out of range in self")
