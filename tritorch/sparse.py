"""torch.sparse: products and reductions of sparse COO tensors (CPU only; see tritorch._sparse)."""
import numpy as np

from . import _dtype
from ._sparse import SparseTensor, _cpu_only, _no_grad_through
from ._sparse_create import sparse_coo_tensor, spmm  # noqa: F401
from .autograd.function import Function
from .tensor import Tensor

__all__ = ["mm", "sum", "spmm", "sparse_coo_tensor"]


class _SparseDenseMM(Function):
    """sparse (n, m) @ dense (m, p); the gradient flows to the dense operand only."""

    @staticmethod
    def forward(ctx, s, d):
        ctx.s = s
        rows, cols = s._sidx
        out = np.zeros((s._ssize[0], d.shape[1]), np.result_type(s._svals, d._data))
        np.add.at(out, rows, s._svals[:, None] * d._data[cols])
        return Tensor._make(out)

    @staticmethod
    def backward(ctx, g):
        s = ctx.s
        rows, cols = s._sidx
        gd = np.zeros((s._ssize[1], g.shape[1]), g._data.dtype)
        np.add.at(gd, cols, s._svals[:, None].astype(g._data.dtype) * g._data[rows])
        return None, Tensor._make(gd)


def mm(mat1, mat2):
    """sparse COO mat1 (n, m) @ dense mat2 (m, p) -> dense (n, p), summing the entries of the
    coalesced mat1 in index order. Differentiable in mat2 only; CPU only."""
    if not isinstance(mat1, SparseTensor) and not isinstance(mat2, SparseTensor):
        return mat1.mm(mat2)
    if not isinstance(mat1, SparseTensor):
        raise NotImplementedError("torch.sparse.mm: tritorch implements sparse @ dense, with a sparse COO mat1")
    if isinstance(mat2, SparseTensor):
        raise NotImplementedError("torch.sparse.mm: tritorch implements sparse @ dense, not sparse @ sparse")
    _cpu_only("torch.sparse.mm", mat2.device)
    _no_grad_through("torch.sparse.mm", mat1)
    if mat1.dim() != 2 or mat1.sparse_dim() != 2 or mat2.dim() != 2:
        raise RuntimeError(f"torch.sparse.mm: expected a 2-D sparse mat1 with 2 sparse dims and a 2-D mat2, got "
                           f"{list(mat1.shape)} (sparse_dim {mat1.sparse_dim()}) and {list(mat2.shape)}")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x{mat1.shape[1]} and "
                           f"{mat2.shape[0]}x{mat2.shape[1]})")
    if mat1.dtype != mat2.dtype:
        raise RuntimeError(f"expected mat1 and mat2 to have the same dtype, but got: {mat1.dtype} != {mat2.dtype}")
    return _SparseDenseMM.apply(mat1.coalesce(), mat2)


def sum(input, dim=None, dtype=None):
    """Sum of a sparse COO tensor: all entries (dim=None) -> 0-d dense tensor; over some dims ->
    sparse (coalesced) if sparse dims remain, else dense."""
    if not isinstance(input, SparseTensor):
        input.coalesce()  # PyTorch's error for a dense input
    _no_grad_through("torch.sparse.sum", input)
    vals = input._svals if dtype is None else input._svals.astype(_dtype.to_dtype(dtype).np)
    if dtype is None and not input.dtype.is_floating_point:
        vals = vals.astype(np.int64)
    if dim is None:
        return Tensor._make(np.asarray(vals.sum(dtype=vals.dtype)))
    dims = sorted({input._dim(d) for d in ((dim,) if isinstance(dim, int) else dim)})
    sd = input.sparse_dim()
    sparse_dims = [d for d in dims if d < sd]
    dense_axes = tuple(d - sd + 1 for d in dims if d >= sd)
    if dense_axes:
        vals = vals.sum(axis=dense_axes)
    keep = [d for d in range(sd) if d not in sparse_dims]
    size = [s for d, s in enumerate(input._ssize) if d not in dims]
    if not keep:
        return Tensor._make(np.asarray(vals.sum(axis=0)))
    out = SparseTensor._new(input._sidx[keep], vals, size, False)
    return out.coalesce()
