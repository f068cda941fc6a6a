"""Small tensor functions written with existing ops (so gradients come for free): select, tile,
index_fill/index_fill_, addcmul, dist, fill, trapezoid, hann_window, unique_consecutive and the
arccos/arcsin/arctan spellings, as functions and (where PyTorch has them) methods."""
import math

import numpy as np

__all__ = ["select", "tile", "index_fill", "addcmul", "dist", "fill", "trapezoid", "hann_window",
           "unique_consecutive", "install"]


def select(input, dim, index):
    """input[..., index, ...] at dimension dim: one dimension fewer, a view as in PyTorch."""
    d = input._dim(dim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return input[(slice(None),) * d + (index,)]


def tile(input, dims):
    """input.repeat(dims) with dims padded by leading 1s up to input.dim()."""
    dims = tuple(dims)
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return input.repeat(dims)


def index_fill_(self, dim, index, value):
    """Set self[..., index[i], ...] (along dim) to value, in place; index is a 0-D or 1-D int tensor."""
    from .tensor import Tensor
    if isinstance(index, Tensor) and index.dim() > 1:
        raise IndexError("Index has to be a vector/scalar")
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.dim()} dimension(s).")
    d = self._dim(dim) if self.dim() else 0
    idx = index.reshape(-1) if isinstance(index, Tensor) else index
    self[(slice(None),) * d + (idx,)] = value
    return self


def index_fill(input, dim, index, value):
    return index_fill_(input.clone(), dim, index, value)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    return input + value * (tensor1 * tensor2)


def addcmul_(self, tensor1, tensor2, *, value=1):
    return self.add_(value * (tensor1 * tensor2))


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast), a 0-D tensor."""
    from .linalg import vector_norm
    return vector_norm(input - other, ord=p)


def fill(input, value):
    """A tensor like input filled with value (torch.fill, the out-of-place fill_)."""
    from . import full_like
    return full_like(input, value)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along dim: sum of (y[i] + y[i+1]) / 2 * (x[i+1] - x[i]) (spacing dx, default 1)."""
    d = y._dim(dim)
    n = y.shape[d]
    if n == 0:
        return y.sum(d)
    mean = (y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)) / 2
    if x is None:
        return mean.sum(d) * (1 if dx is None else dx)
    if dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: x and dx both given")
    xd = x._dim(dim) if x.dim() > 1 else 0
    step = x.narrow(xd, 1, n - 1) - x.narrow(xd, 0, n - 1)
    if x.dim() == 1 and y.dim() > 1:
        step = step.reshape([n - 1 if i == d else 1 for i in range(y.dim())])
    return (mean * step).sum(d)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """0.5 - 0.5 cos(2 pi n / N), N = window_length (periodic) or window_length - 1."""
    from . import get_default_dtype, tensor
    if window_length < 0:
        raise RuntimeError(f"hann_window requires non-negative window_length, got window_length={window_length}")
    if window_length == 1:
        values = np.ones(1)
    else:
        n = window_length if periodic else window_length - 1
        values = 0.5 - 0.5 * np.cos(2 * math.pi * np.arange(window_length) / max(n, 1))
    return tensor(values, dtype=dtype or get_default_dtype(), device=device, requires_grad=requires_grad)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive values of the flattened input (dim=None)."""
    from . import tensor
    if dim is not None:
        raise NotImplementedError("unique_consecutive(dim=...): tritorch implements only dim=None (the flattened "
                                  "input); use tritorch.unique(input, dim=dim) when order does not matter")
    flat = input.detach().cpu().numpy().reshape(-1)
    starts = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, bool)
    out = tensor(flat[starts], device=input.device)
    extra = []
    if return_inverse:
        extra.append(tensor((np.cumsum(starts) - 1).reshape(tuple(input.shape)), device=input.device))
    if return_counts:
        edges = np.flatnonzero(np.concatenate([starts, [True]]))
        extra.append(tensor(np.diff(edges), device=input.device))
    return (out, *extra) if extra else out


def install(namespace, tensor_cls):
    for alias, name in (("arccos", "acos"), ("arcsin", "asin"), ("arctan", "atan"), ("arccosh", "acosh"),
                        ("arcsinh", "asinh"), ("arctanh", "atanh"), ("arctan2", "atan2")):
        if name in namespace:
            namespace.setdefault(alias, namespace[name])
            if hasattr(tensor_cls, name) and not hasattr(tensor_cls, alias):
                setattr(tensor_cls, alias, getattr(tensor_cls, name))
    for name, fn in (("trapezoid", trapezoid), ("trapz", trapezoid), ("hann_window", hann_window),
                     ("unique_consecutive", unique_consecutive)):
        namespace.setdefault(name, fn)
    if not hasattr(tensor_cls, "unique_consecutive"):
        tensor_cls.unique_consecutive = unique_consecutive
    for name, fn in (("select", select), ("tile", tile), ("index_fill", index_fill), ("addcmul", addcmul),
                     ("dist", dist), ("fill", fill)):
        namespace.setdefault(name, fn)
    for name, fn in (("select", select), ("tile", tile), ("index_fill", index_fill), ("index_fill_", index_fill_),
                     ("addcmul", addcmul), ("addcmul_", addcmul_), ("dist", dist)):
        if not hasattr(tensor_cls, name):
            setattr(tensor_cls, name, fn)
