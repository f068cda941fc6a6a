"""meshgrid, repeat_interleave, Tensor.unfold (sliding windows), ravel: index and view plumbing over
the differentiable primitives (expand, index_select, reshape)."""
import warnings

import numpy as np

from ._util import is_tensor


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D (or 0-d) tensors: indexing='ij' gives shape (len(t0), len(t1), ...),
    'xy' swaps the first two dims. indexing=None warns and uses 'ij', as PyTorch does."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if not tensors:
        return ()
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.dim()}D")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to have the same dtype.")
    flat = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = -1
        grids.append(t.reshape(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or each slice along dim) repeats times; repeats is an int or a 1-D int
    tensor with one count per slice (or a single count). Without dim the input is flattened first.
    torch.repeat_interleave(counts) alone gives arange(len(counts)) repeated counts times."""
    from .creation import tensor
    if repeats is None:
        counts = input.cpu().numpy()
        if input.dim() != 1 or input.dtype.is_floating_point:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        return tensor(np.repeat(np.arange(len(counts)), counts), device=input.device)
    x = input.reshape(-1) if dim is None else input
    axis = 0 if dim is None else x._dim(dim)
    n = x.shape[axis] if x.dim() else 1
    if is_tensor(repeats):
        if repeats.dim() > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = repeats.cpu().numpy().reshape(-1).astype(np.int64)
        if counts.size == 1:
            counts = np.full(n, counts[0])
        if counts.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.size} and input.size({axis}) = {n}")
    else:
        counts = np.full(n, int(repeats))
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    if output_size is not None and int(counts.sum()) != output_size:
        raise RuntimeError(f"allocated size does not match required size: output_size={output_size}, "
                           f"required {int(counts.sum())}")
    if x.dim() == 0:
        x = x.reshape(1)
    return x.index_select(axis, tensor(np.repeat(np.arange(n), counts), device=x.device))


def unfold(input, dimension, size, step):
    """Tensor.unfold: every window of `size` elements taken `step` apart along `dimension`, as a new
    last dim: shape[dimension] becomes (shape[dimension] - size) // step + 1. (A copy in tritorch,
    where PyTorch returns a view: writing into the result does not reach the input.)"""
    from .creation import tensor
    x = input.reshape(1) if input.dim() == 0 else input
    axis = x._dim(dimension)
    n = x.shape[axis]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    windows = (n - size) // step + 1
    idx = (np.arange(windows)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    out = x.index_select(axis, tensor(idx, device=x.device))
    shape = tuple(x.shape[:axis]) + (windows, size) + tuple(x.shape[axis + 1:])
    out = out.reshape(shape).movedim(axis + 1, -1)
    return out.reshape(size) if input.dim() == 0 else out


def ravel(input):
    """The elements as a 1-D tensor (reshape(-1))."""
    return input.reshape(-1)
