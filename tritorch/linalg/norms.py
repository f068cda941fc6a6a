"""vector_norm, matrix_norm, norm, cross, multi_dot: composed from tensor ops (gradients and every
device come free; the 'nuc' and 2-norms of matrices go through svdvals)."""
import math

import tritorch
from ..autograd.function import Function
from .decompositions import svdvals


class _CountNonzero(Function):
    """The 0-"norm": nonzeros counted along dims, with PyTorch's zero gradient."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape_like = x
        return (x != 0).to(x.dtype).sum(dims, keepdim=keepdim)

    @staticmethod
    def backward(ctx, g):
        return tritorch.zeros_like(ctx.shape_like), None, None


def _dims(dim, ndim):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % ndim if ndim else d for d in dims)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """||x||_ord over dim (all elements when None): ord inf (max |x|), -inf (min |x|), 0 (count of
    nonzeros) or any real p (sum |x|^p)^(1/p). dtype converts x first."""
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.is_complex:  # the norm of the moduli, a real tensor (gradients through abs)
        x = x.abs()
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{x.dtype.name.capitalize()}")
    dims = _dims(dim, x.dim())
    if dims is None:
        flat = x.reshape(-1)
        out = vector_norm(flat, ord, 0)
        return out.reshape((1,) * x.dim()) if keepdim else out
    a = x.abs()
    if ord == math.inf:
        return a.amax(dims, keepdim=keepdim)
    if ord == -math.inf:
        return a.amin(dims, keepdim=keepdim)
    if ord == 0:
        return _CountNonzero.apply(x, dims, keepdim)
    if ord == 1:
        return a.sum(dims, keepdim=keepdim)
    if ord == 2:
        return x.norm(2, dims, keepdim=keepdim)
    return (a ** ord).sum(dims, keepdim=keepdim) ** (1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Matrix norm over the two dims: 'fro', 'nuc', inf / -inf (max / min row sum of |A|),
    1 / -1 (max / min column sum), 2 / -2 (largest / smallest singular value)."""
    if dtype is not None:
        A = A.to(dtype)
    if A.dim() < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = _dims(dim, A.dim())
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (math.inf, -math.inf, 1, -1):
        sum_dim, red_dim = (d1, d0) if ord in (math.inf, -math.inf) else (d0, d1)
        sums = A.abs().sum(sum_dim, keepdim=True)
        out = sums.amax(red_dim, keepdim=True) if ord in (math.inf, 1) else sums.amin(red_dim, keepdim=True)
        return out if keepdim else out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """Vector or matrix norm, as torch.linalg.norm: a matrix norm when ord is a string or dim has
    two entries (or ord is given, dim is None and A is 2-D); otherwise a vector norm (2-norm of all
    elements when ord and dim are None)."""
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
    if isinstance(ord, str) or (isinstance(dim, tuple) and len(dim) == 2) or (
            ord is not None and dim is None and A.dim() == 2):
        if dim is None:
            dim = (-2, -1)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is not None and dim is None and A.dim() != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{A.dim()}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def cross(input, other, *, dim=-1, out=None):
    """Cross product of 3-vectors along dim (inputs broadcast)."""
    input, other = tritorch.broadcast_tensors(input, other)
    d = dim % input.dim()
    if input.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")
    a = [input.narrow(d, i, 1) for i in range(3)]
    b = [other.narrow(d, i, 1) for i in range(3)]
    return tritorch.cat([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], d)


def multi_dot(tensors, *, out=None):
    """A chain of matrix products; the first (last) tensor may be 1-D, read as a row (column)."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    ts = list(tensors)
    first_vec, last_vec = ts[0].dim() == 1, ts[-1].dim() == 1
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i, t in enumerate(ts):
        if t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
    out = ts[0]
    for t in ts[1:]:
        out = out @ t
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out
