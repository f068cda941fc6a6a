"""Sparse COO tensors (CPU only): the SparseTensor class behind torch.sparse_coo_tensor and
Tensor.to_sparse (made in _sparse_create.py, added in _sparse_add.py) and behind the sparse
gradients of nn.Embedding / F.embedding / nn.EmbeddingBag with sparse=True.

`SparseTensor` subclasses Tensor, so `isinstance(w.grad, tritorch.Tensor)` holds as in PyTorch,
but it has no dense buffer: it holds `_sidx` (int64 ndarray, (sparse_dim, nnz)), `_svals`
(ndarray, (nnz, *dense_shape)), `_ssize` and `_scoal` (the coalesced flag). Dense tensors pay
nothing for it (no check anywhere on the dense path). Reading `_data` of a sparse tensor raises,
so every dense op it is given and that is not implemented below fails with one clear
NotImplementedError naming the op (PyTorch's "Could not run ... 'SparseCPU' backend") instead
of computing something wrong. Implemented: the attributes (shape, dtype, layout, is_sparse,
sparse_dim, dense_dim, _nnz), _indices/_values (indices/values once coalesced), coalesce, to_dense,
clone, detach, zero_, to(dtype) and the casts, sum, t/transpose of sparse dims, sparse + sparse
(PyTorch's merge order), dense + sparse, sparse * scalar, sparse @ dense, Tensor.sparse_mask.
(zeros_like/ones_like/empty_like/new_* of a sparse tensor give dense tensors, PyTorch's sparse.) Sparse tensors on cuda are not supported:
asking for one raises a one-line NotImplementedError naming the op and the device. Autograd
through sparse ops is not implemented (it raises); sparse tensors arise as gradients.
Unlike PyTorch (whose invariant checks are off by default) indices are always checked.
"""
import os
import sys

import numpy as np

from . import _dtype
from ._device import CPU, as_device
from .tensor import Size, Tensor

__all__ = ["SparseTensor", "strided", "sparse_coo", "jagged", "install"]


class _Layout:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


strided, sparse_coo, jagged = _Layout("strided"), _Layout("sparse_coo"), _Layout("jagged")
_HERE = os.path.dirname(os.path.abspath(__file__))
_ENGINE = os.path.join(_HERE, "autograd", "engine.py")


def _frame_op(f):
    """The op a tritorch frame runs: its function's name, or for the generated wrappers
    ('op', 'wrapper') the name they close over."""
    name = f.f_code.co_name
    if name in ("op", "wrapper", "<lambda>"):
        for key in ("name", "fn_cls", "fn", "func"):
            v = f.f_locals.get(key)
            v = getattr(v, "op", v) if key == "fn_cls" else v
            v = v if isinstance(v, str) else getattr(v, "__name__", None)
            if v:
                return v
    return name


def _caller_op():
    """The outermost tritorch function on the stack: the op the user called."""
    name, f = "?", sys._getframe(2)
    while f is not None:
        if f.f_code.co_filename.startswith(_HERE):
            name = _frame_op(f)
        elif name != "?":
            break
        f = f.f_back
    return name


def _check_not_accumulating():
    """A clear error where backward adds a sparse gradient to a dense .grad or the reverse."""
    f = sys._getframe(2)
    while f is not None:
        if f.f_code.co_name == "_accumulate" and f.f_code.co_filename == _ENGINE:
            raise RuntimeError("backward: tritorch cannot accumulate a sparse COO gradient into a dense .grad or the "
                               "reverse (PyTorch makes the sum dense); call zero_grad() between these backward passes")
        f = f.f_back


def _cpu_only(op, device):
    if as_device(device).type != "cpu":
        raise NotImplementedError(f"{op}: tritorch's sparse COO tensors are CPU-only (got device {device}); "
                                  "keep the tensor dense on that device, or build the sparse tensor on the CPU")


def _no_grad_through(op, *ts):
    from .autograd import grad_mode
    if grad_mode._enabled and any(isinstance(t, Tensor) and t.requires_grad for t in ts):
        raise NotImplementedError(f"{op}: tritorch does not differentiate through sparse tensors (an input requires "
                                  "grad); use torch.no_grad() or dense tensors")


def _linear(idx, sizes):
    """Row-major linear position of each column of idx (sparse_dim, nnz) within sizes."""
    if idx.shape[0] == 1:
        return idx[0]
    return np.ravel_multi_index(tuple(idx), sizes) if idx.shape[0] else np.zeros(idx.shape[1], np.int64)


class SparseTensor(Tensor):
    """A sparse COO tensor (layout torch.sparse_coo) on the CPU; see the module docstring."""

    is_sparse = True
    layout = sparse_coo

    @classmethod
    def _new(cls, idx, vals, size, coalesced, requires_grad=False):
        t = cls.__new__(cls)
        t._sidx, t._svals, t._ssize, t._scoal = idx, vals, tuple(int(s) for s in size), bool(coalesced)
        t._device, t._requires_grad, t.grad, t.grad_fn, t._output_nr = CPU, requires_grad, None, None, 0
        t._grad_accumulator, t._vc, t._base, t._view_fn, t._retains_grad = None, [0], None, None, False
        return t

    @property
    def _data(self):
        _check_not_accumulating()
        raise NotImplementedError(f"Could not run '{_caller_op()}' with arguments from the 'SparseCPU' backend: "
                                  "tritorch implements only a few ops for sparse COO tensors (layout=torch.sparse_coo);"
                                  " call .to_dense() first")

    # -- metadata ---------------------------------------------------------------------------
    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._svals.dtype)

    @property
    def shape(self):
        return Size(self._ssize)

    def size(self, dim=None):
        return self.shape if dim is None else self._ssize[self._dim(dim)]

    def dim(self):
        return len(self._ssize)

    ndim = property(dim)

    @property
    def itemsize(self):
        return self._svals.dtype.itemsize

    def sparse_dim(self):
        return self._sidx.shape[0]

    def dense_dim(self):
        return self._svals.ndim - 1

    def _nnz(self):
        return self._sidx.shape[1]

    def is_coalesced(self):
        return self._scoal

    def _coalesced_(self, coalesced):
        self._scoal = bool(coalesced)
        return self

    def is_contiguous(self, memory_format=None):
        raise RuntimeError("Tensors of type SparseTensorImpl do not have is_contiguous")

    def stride(self, dim=None):
        raise RuntimeError("Tensors of type SparseTensorImpl do not have strides")

    def _indices(self):
        return Tensor._make(self._sidx)

    def _values(self):
        return Tensor._make(self._svals, CPU, False)

    def indices(self):
        if not self._scoal:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._indices()

    def values(self):
        if not self._scoal:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._values()

    # -- copies and conversions ---------------------------------------------------------------
    def _like(self, idx, vals, coalesced):
        return SparseTensor._new(idx, vals, self._ssize, coalesced)

    def detach(self):
        t = SparseTensor._new(self._sidx, self._svals, self._ssize, self._scoal)
        t._vc = self._vc
        return t

    @property
    def data(self):
        return self.detach()

    def clone(self, *, memory_format=None):
        _no_grad_through("clone", self)
        return self._like(self._sidx.copy(), self._svals.copy(), self._scoal)

    def __deepcopy__(self, memo):
        t = self.clone()
        t._requires_grad = self._requires_grad
        memo[id(self)] = t
        return t

    def coalesce(self):
        """Sorted, unique indices; duplicates summed (in their order, as PyTorch's CPU loop)."""
        if self._scoal:
            return self
        sizes = self._ssize[:self.sparse_dim()]
        lin = _linear(self._sidx, sizes)
        order = np.argsort(lin, kind="stable")
        uniq, first, inv = np.unique(lin[order], return_index=True, return_inverse=True)
        vals = np.zeros((len(uniq),) + self._svals.shape[1:], self._svals.dtype)
        np.add.at(vals, inv, self._svals[order])
        return self._like(np.ascontiguousarray(self._sidx[:, order[first]]), vals, True)

    def to_dense(self, dtype=None, *, masked_grad=None):
        _no_grad_through("to_dense", self)
        out = np.zeros(self._ssize, self._svals.dtype)
        np.add.at(out, tuple(self._sidx), self._svals)
        t = Tensor._make(out)
        return t if dtype is None else t.to(dtype)

    def to_sparse(self, *args, layout=None, blocksize=None, dense_dim=None):
        if args and args[0] != self.sparse_dim() or layout not in (None, sparse_coo):
            raise NotImplementedError("to_sparse: tritorch converts only between dense and sparse COO layouts, "
                                      "with the same sparse_dim")
        return self

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
        for a in args:
            if isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                device = a
        if device is not None:
            _cpu_only("Tensor.to", device)
        if dtype is None or dtype == self.dtype:
            return self.clone() if copy else self
        return self._like(self._sidx, self._svals.astype(_dtype.to_dtype(dtype).np), self._scoal)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        _cpu_only("Tensor.cuda", "cuda" if device is None else device)

    def zero_(self):
        self._sidx = np.zeros((self.sparse_dim(), 0), np.int64)
        self._svals = np.zeros((0,) + self._svals.shape[1:], self._svals.dtype)
        self._scoal = True
        self._vc[0] += 1
        return self

    def __repr__(self):
        from ._tensor_str import _add_suffixes, tensor_repr
        ind, val = "indices=tensor(", "values=tensor("
        its = tensor_repr(Tensor._make(self._sidx), " " * 7 + ind)[7:-1].split(", dtype=")[0]
        vls = tensor_repr(Tensor._make(self._svals.astype(_dtype.get_default_dtype().np)
                                       if self.dtype.is_floating_point else self._svals), " " * 7 + val)[7:-1]
        vls = vls.split(", dtype=")[0]
        text = f"tensor({its}),\n       {vls})"
        suffixes = [f"size={self._ssize}", f"nnz={self._nnz()}"]
        if self.dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_):
            suffixes.append(f"dtype={self.dtype!r}")
        suffixes.append("layout=torch.sparse_coo")
        if self.requires_grad:
            suffixes.append("requires_grad=True")
        return _add_suffixes(text + ",\n      ", suffixes, 7).replace(",\n      , ", ",\n       ")

    __str__ = __repr__

    # -- arithmetic -------------------------------------------------------------------------------
    def _scaled(self, value):
        if isinstance(value, Tensor):
            if value.dim() != 0 or value.is_sparse:
                raise NotImplementedError("mul: tritorch multiplies a sparse COO tensor only by a number or a 0-d "
                                          f"dense tensor, got shape {tuple(value.shape)}")
            value = value.item()
        if not isinstance(value, (int, float, bool, np.number)):
            return NotImplemented
        vals = self._svals * value
        if isinstance(value, float) and not self.dtype.is_floating_point:
            vals = (self._svals * value).astype(_dtype.get_default_dtype().np)
        elif vals.dtype != self._svals.dtype and self.dtype.is_floating_point:
            vals = vals.astype(self._svals.dtype)
        return vals

    def mul(self, other):
        _no_grad_through("mul", self, other)
        vals = self._scaled(other)
        if vals is NotImplemented:
            raise TypeError(f"mul: unsupported operand for a sparse COO tensor: {type(other).__name__}")
        return self._like(self._sidx, vals, self._scoal)

    def mul_(self, other):
        self._svals = self.mul(other)._svals.astype(self._svals.dtype, copy=False)
        self._vc[0] += 1
        return self

    def __mul__(self, other):
        return self.mul(other) if not isinstance(other, Tensor) or other.dim() == 0 else _unsupported(self)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Tensor):
            other = other.item() if other.dim() == 0 else _unsupported(self)
        return self.mul(1.0 / other) if isinstance(other, (int, float)) else _unsupported(self)

    div = __truediv__

    def neg(self):
        return self._like(self._sidx, -self._svals, self._scoal)

    __neg__ = neg

    def add(self, other, *, alpha=1):
        _no_grad_through("add", self, other)
        if not isinstance(other, SparseTensor):
            _check_not_accumulating()
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
        from ._sparse_add import add_sparse
        return add_sparse(self, other, alpha)

    def add_(self, other, *, alpha=1):
        out = self.add(other, alpha=alpha)
        self._sidx, self._svals, self._scoal = out._sidx, out._svals.astype(self._svals.dtype, copy=False), out._scoal
        self._vc[0] += 1
        return self

    def sub(self, other, *, alpha=1):
        return self.add(other, alpha=-alpha)

    def __add__(self, other):
        if isinstance(other, Tensor) and not other.is_sparse and sys._getframe(1).f_code.co_filename == _ENGINE:
            return other + self  # the backward pass sums a sparse and a dense gradient: dense, as PyTorch's
        return self.add(other)

    def __sub__(self, other):
        return self.add(other, alpha=-1)

    def __radd__(self, other):
        """dense + sparse -> dense (Python calls this before Tensor.__add__: a subclass's reflected op)."""
        from ._sparse_add import add_to_dense
        return add_to_dense(other, self, 1, inplace=False) if isinstance(other, Tensor) else _unsupported(self)

    def __rsub__(self, other):
        from ._sparse_add import add_to_dense
        return add_to_dense(other, self, -1, inplace=False) if isinstance(other, Tensor) else _unsupported(self)

    def sum(self, dim=None, keepdim=False, dtype=None):
        from .sparse import sum as sparse_sum
        if keepdim:
            raise NotImplementedError("sum: keepdim=True is not supported for sparse COO tensors")
        out = sparse_sum(self, dim) if dtype is None else sparse_sum(self, dim, dtype=dtype)
        return out.to_dense() if isinstance(out, SparseTensor) and dim is None else out

    def transpose(self, dim0, dim1):
        """Swap two sparse dims (the result is uncoalesced, as PyTorch's)."""
        d0, d1 = self._dim(dim0), self._dim(dim1)
        if max(d0, d1) >= self.sparse_dim():
            raise NotImplementedError("transpose: tritorch transposes only sparse dims of a sparse COO tensor")
        order, size = list(range(self.dim())), list(self._ssize)
        order[d0], order[d1] = d1, d0
        size[d0], size[d1] = size[d1], size[d0]
        return SparseTensor._new(self._sidx[order[:self.sparse_dim()]], self._svals, size, d0 == d1 and self._scoal)

    def t(self):
        if self.dim() > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.dim()}D")
        return self if self.dim() < 2 else self.transpose(0, 1)

    def mm(self, mat2):
        from .sparse import mm
        return mm(self, mat2)

    matmul = __matmul__ = mm


def _cast(dtype_name):
    def cast(self, memory_format=None):
        return self.to(getattr(_dtype, dtype_name))
    return cast


for _name, _dt in (("double", "float64"), ("float", "float32"), ("half", "float16"), ("bfloat16", "bfloat16"),
                   ("long", "int64"), ("int", "int32")):
    setattr(SparseTensor, _name, _cast(_dt))


def _unsupported(t):
    return t._data  # raises, naming the caller's op


def install(namespace, tensor_cls):
    import importlib
    from ._sparse_create import sparse_coo_tensor, sparse_mask, spmm, to_dense, to_sparse
    for name, value in (("sparse_coo_tensor", sparse_coo_tensor), ("spmm", spmm), ("jagged", jagged),
                        ("strided", strided), ("sparse_coo", sparse_coo)):
        namespace.setdefault(name, value)
    namespace.setdefault("sparse", importlib.import_module(".sparse", namespace["__name__"]))
    namespace.setdefault("layout", _Layout)
    for name, fn in (("to_sparse", to_sparse), ("to_sparse_coo", lambda self: self.to_sparse()),
                     ("to_dense", to_dense), ("sparse_mask", sparse_mask),
                     ("layout", strided), ("sparse_dim", lambda self: 0), ("dense_dim", lambda self: self.dim()),
                     ("values", _dense_only("values", "sparse tensor")), ("indices", _dense_only("indices")),
                     ("coalesce", _dense_only("coalesce")), ("is_coalesced", _dense_only("is_coalesced"))):
        if not hasattr(tensor_cls, name):
            setattr(tensor_cls, name, fn)


def _dense_only(name, what="sparse coordinate tensor"):
    """PyTorch's error for a sparse-only method called on a dense tensor."""
    def method(self):
        raise RuntimeError(f"{name} expected {what} layout but got Strided")
    method.__name__ = name
    return method
