"""Making sparse COO tensors: torch.sparse_coo_tensor, Tensor.to_sparse, Tensor.sparse_mask,
torch.spmm (CPU only; the tensor itself is tritorch._sparse.SparseTensor)."""
import numpy as np

from . import _dtype
from ._sparse import SparseTensor, _cpu_only, _no_grad_through, sparse_coo
from .tensor import Tensor

__all__ = ["sparse_coo_tensor", "to_sparse", "sparse_mask", "spmm", "to_dense"]


def sparse_mask(self, mask):
    """The entries of dense `self` at the indices of sparse `mask`, as a sparse tensor like mask."""
    if tuple(self.shape) != mask._ssize:
        raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size {list(self.shape)} but "
                           f"mask has size {list(mask._ssize)}")
    _cpu_only("Tensor.sparse_mask", self.device)
    return mask._like(mask._sidx, self._data[tuple(mask._sidx)], mask._scoal)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse COO tensor from indices (sparse_dim, nnz) integer and values (nnz, *dense_shape);
    size defaults to the smallest that holds the indices. CPU only (cuda raises)."""
    from ._ops.creation import tensor
    if device is not None:
        _cpu_only("torch.sparse_coo_tensor", device)
    idx = indices if isinstance(indices, Tensor) else tensor(indices)
    val = values if isinstance(values, Tensor) else tensor(values)
    if idx.device.type != "cpu" or val.device.type != "cpu":
        _cpu_only("torch.sparse_coo_tensor", idx.device if idx.device.type != "cpu" else val.device)
    if idx.dtype.is_floating_point or idx.dtype is _dtype.bool_:
        raise RuntimeError(f"indices must be an int64 tensor, got {idx.dtype}")
    idx, vals = idx.detach().numpy().astype(np.int64), val.detach().numpy()
    if dtype is not None:
        vals = vals.astype(_dtype.to_dtype(dtype).np)
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    if vals.ndim == 0 or vals.shape[0] != idx.shape[1]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {idx.shape[1]}, nnz "
                           f"from values: {vals.shape[0] if vals.ndim else 0}")
    sd = idx.shape[0]
    if size is None:
        size = tuple((idx.max(1) + 1).tolist() if idx.shape[1] else [0] * sd) + vals.shape[1:]
    size = tuple(int(s) for s in size)
    if len(size) != sd + vals.ndim - 1:
        raise RuntimeError(f"number of dimensions must be sparse_dim ({sd}) + dense_dim ({vals.ndim - 1}), but got "
                           f"{len(size)}")
    if tuple(vals.shape[1:]) != size[sd:]:
        raise RuntimeError(f"values has incorrect size, expected {[vals.shape[0], *size[sd:]]}, got "
                           f"{list(vals.shape)}")
    if idx.shape[1]:
        lo, hi = idx.min(1), idx.max(1)
        for d in range(sd):
            if lo[d] < 0:
                raise RuntimeError(f"found negative index {lo[d]} for dim {d}")
            if hi[d] >= size[d]:
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {size[d]} but found "
                                   f"index {hi[d]}")
    t = SparseTensor._new(idx, vals.copy(), size, idx.shape[1] < 2 if is_coalesced is None else is_coalesced)
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_sparse(self, *args, layout=None, blocksize=None, dense_dim=None):
    """Dense -> sparse COO (coalesced): the first sparse_dim dims (default all) are sparse; an
    entry is kept where its dense block has a nonzero. CPU only."""
    if layout not in (None, sparse_coo) or blocksize is not None:
        raise NotImplementedError(f"Tensor.to_sparse: tritorch implements only layout=torch.sparse_coo, got {layout}")
    _cpu_only("Tensor.to_sparse", self.device)
    _no_grad_through("Tensor.to_sparse", self)
    sd = args[0] if args else self.dim() - (dense_dim or 0)
    a = self.detach().numpy()
    keep = a != 0 if sd == a.ndim else (a != 0).reshape(a.shape[:sd] + (-1,)).any(-1)
    idx = np.array(np.nonzero(keep), np.int64).reshape(sd, -1)
    return SparseTensor._new(idx, a[tuple(idx)].copy(), a.shape, True)


def spmm(input, mat2):
    """sparse (n, m) @ dense (m, p) -> dense (n, p); a dense input goes to tritorch.mm."""
    if not input.is_sparse:
        return input.mm(mat2)
    from .sparse import mm
    return mm(input, mat2)


def to_dense(self, dtype=None, *, masked_grad=None):
    """A dense tensor is its own dense form (PyTorch returns self too)."""
    return self if dtype is None else self.to(dtype)
