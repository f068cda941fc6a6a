"""Adding sparse COO tensors: sparse + sparse in PyTorch's CPU merge order, dense (+)= sparse."""
import numpy as np

from ._sparse import _cpu_only, _linear, _no_grad_through
from .tensor import Tensor

__all__ = ["add_sparse", "add_to_dense"]


def add_sparse(t, s, alpha=1):
    """t + alpha * s with PyTorch's CPU merge: walk both index lists, equal indices share a slot;
    the result is coalesced only if both inputs are (the order follows the inputs)."""
    if t._ssize != s._ssize:
        raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size {list(t._ssize)} "
                           f"while other has size {list(s._ssize)} (FYI: dense-sparse addition does not currently "
                           "support broadcasting)")
    if t.sparse_dim() != s.sparse_dim():
        raise RuntimeError("add: expected 'self' and 'other' to have same sparse dimensions")
    dt = np.result_type(t._svals, s._svals)
    if s._nnz() == 0:
        return t._like(t._sidx.copy(), t._svals.astype(dt), t._scoal)
    if t._nnz() == 0:
        return s._like(s._sidx.copy(), (s._svals * alpha).astype(dt), s._scoal)
    sizes = t._ssize[:t.sparse_dim()]
    a, b = _linear(t._sidx, sizes).tolist(), _linear(s._sidx, sizes).tolist()
    ta, sa, i, j, na, nb = [], [], 0, 0, len(a), len(b)
    while i < na or j < nb:
        cmp = -1 if i >= na else 1 if j >= nb else (1 if a[i] < b[j] else -1 if a[i] > b[j] else 0)
        ta.append(i if cmp >= 0 else -1)
        sa.append(j if cmp <= 0 else -1)
        i, j = i + (cmp >= 0), j + (cmp <= 0)
    ta, sa = np.array(ta), np.array(sa)
    idx = np.where(ta >= 0, t._sidx[:, np.maximum(ta, 0)], s._sidx[:, np.maximum(sa, 0)])
    vals = np.zeros((len(ta),) + t._svals.shape[1:], dt)
    vals[ta >= 0] += t._svals[ta[ta >= 0]]
    vals[sa >= 0] += s._svals[sa[sa >= 0]] * np.asarray(alpha, dt)
    return t._like(idx, vals, t._scoal and s._scoal)


def add_to_dense(dense, sparse, alpha=1, inplace=True):
    """dense (+)= alpha * sparse, summing duplicate indices in order; the shapes must match."""
    if tuple(dense.shape) != sparse._ssize:
        raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                           f"{list(dense.shape)} while other has size {list(sparse._ssize)} (FYI: dense-sparse "
                           "addition does not currently support broadcasting)")
    _cpu_only("add(dense, sparse)", dense.device)
    _no_grad_through("add(dense, sparse)", dense, sparse)
    vals = sparse._svals if alpha == 1 else sparse._svals * np.asarray(alpha, sparse._svals.dtype)
    if inplace:
        np.add.at(dense._data, tuple(sparse._sidx), vals.astype(dense._data.dtype, copy=False))
        dense._vc[0] += 1
        return dense
    out = dense._data.astype(np.result_type(dense._data, sparse._svals), copy=True)
    np.add.at(out, tuple(sparse._sidx), vals)
    return Tensor._make(out)
