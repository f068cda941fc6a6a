"""Shape and stride arithmetic shared by the runtime and the kernel launchers (all in elements)."""
import numpy as np


def contiguous_strides(shape):
    """Row-major strides (in elements) for ``shape``."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def collapse_dims(shape, *strides):
    """Merge neighbouring dimensions that every operand can address with one stride.

    Args:
        shape (tuple of int): the common shape of the operands.
        *strides (tuple of int): each operand's strides for ``shape`` (0 for broadcast dims).

    Returns:
        ``(shape, [strides, ...])`` with size-1 dimensions dropped and dims ``d, d+1`` merged
        whenever ``stride[d] == stride[d+1] * shape[d+1]`` for every operand.
    """
    dims = [(n, [s[d] for s in strides]) for d, n in enumerate(shape) if n != 1]
    merged = []
    for n, st in dims:
        if merged and all(prev == cur * n for prev, cur in zip(merged[-1][1], st)):
            merged[-1] = (merged[-1][0] * n, st)
        else:
            merged.append((n, st))
    return tuple(n for n, _ in merged), [tuple(st[i] for _, st in merged) for i in range(len(strides))]


def infer_shape(shape, numel, old):
    shape = [int(n) for n in shape]
    if shape.count(-1) > 1:
        raise ValueError(f"only one dimension can be -1 in {tuple(shape)}")
    if -1 in shape:
        known = int(np.prod([n for n in shape if n != -1], dtype=np.int64))
        if known == 0 or numel % known:
            raise ValueError(f"cannot reshape {old} ({numel} elements) to {tuple(shape)}")
        shape[shape.index(-1)] = numel // known
    if int(np.prod(shape, dtype=np.int64)) != numel:
        raise ValueError(f"cannot reshape {old} ({numel} elements) to {tuple(shape)}")
    return tuple(shape)


def view_strides(old_shape, old_strides, new_shape):
    """Strides that view ``old`` as ``new_shape`` without a copy, or None (torch's algorithm)."""
    if int(np.prod(old_shape, dtype=np.int64)) == 0:
        return contiguous_strides(new_shape)
    # Drop size-1 dims, then match chunks of old dims that are contiguous among themselves.
    old = [(n, s) for n, s in zip(old_shape, old_strides) if n != 1]
    new_strides = [0] * len(new_shape)
    i = 0  # position in old
    j = 0  # position in new_shape
    while j < len(new_shape):
        if new_shape[j] == 1:
            new_strides[j] = 1
            j += 1
            continue
        if i >= len(old):
            return None
        # take a chunk of old dims [i, k) that is contiguous and whose product we fill with new dims
        k = i + 1
        while k < len(old) and old[k - 1][1] == old[k][0] * old[k][1]:
            k += 1
        chunk = int(np.prod([n for n, _ in old[i:k]], dtype=np.int64))
        stride = old[k - 1][1]
        # new dims consuming this chunk, innermost last
        dims, size = [], 1
        while size < chunk and j < len(new_shape):
            dims.append(j)
            size *= new_shape[j]
            j += 1
        while j < len(new_shape) and new_shape[j] == 1:
            dims.append(j)
            j += 1
        if size != chunk:
            return None
        for d in reversed(dims):
            new_strides[d] = stride
            stride *= new_shape[d]
        i = k
    return tuple(new_strides) if i == len(old) else None
