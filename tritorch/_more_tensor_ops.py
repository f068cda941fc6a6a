"""Small tensor functions written with existing ops (so gradients come for free): select, tile,
index_fill/index_fill_, addcmul, dist and fill, as functions and (where PyTorch has them) methods."""
__all__ = ["select", "tile", "index_fill", "addcmul", "dist", "fill", "install"]


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


def install(namespace, tensor_cls):
    for name, fn in (("select", select), ("tile", tile), ("index_fill", index_fill), ("addcmul", addcmul),
                     ("dist", dist), ("fill", fill)):
        namespace.setdefault(name, fn)
    for name, fn in (("select", select), ("tile", tile), ("index_fill", index_fill), ("index_fill_", index_fill_),
                     ("addcmul", addcmul), ("addcmul_", addcmul_), ("dist", dist)):
        if not hasattr(tensor_cls, name):
            setattr(tensor_cls, name, fn)
