"""The Tensor: data on a device, its place in the autograd graph, and PyTorch's methods.

A Tensor holds a backend array (`_data`: a numpy ndarray on the CPU, a DeviceArray on cuda)
and never computes itself: every op lives in `tritorch._ops` as a `Function`, and the
methods below are those functions bound to the class. Views share `_data`'s memory and the
version counter `_vc` with their `_base`; in-place writes bump the counter, which is how a
tensor saved for backward notices it was modified.
"""
import numpy as np

from . import _dtype
from ._device import CPU, as_device
from .autograd import grad_mode
from ._dispatch import backend_for


class Size(tuple):
    """torch.Size: a tuple of ints with numel()."""

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"tritorch.Size({list(self)})"

    def __getitem__(self, i):
        out = tuple.__getitem__(self, i)
        return Size(out) if isinstance(i, slice) else out


class Tensor:
    __array_priority__ = 1000  # numpy scalars on the left defer to Tensor's reflected ops

    def __init__(self, *args, device=None):
        """Legacy constructor: `Tensor(2, 3)` (uninitialized float32) or `Tensor([1, 2])`."""
        from ._ops.creation import empty, tensor
        if len(args) == 1 and not isinstance(args[0], int):
            t = tensor(args[0], dtype=_dtype.get_default_dtype(), device=device)
        else:
            t = empty(*args, device=device)
        self._init(t._data, t._device)

    def _init(self, data, device, requires_grad=False):
        self._data = data
        self._device = device
        self._requires_grad = requires_grad
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._grad_accumulator = None
        self._vc = [0]
        self._base = None
        self._view_fn = None
        self._retains_grad = False

    @classmethod
    def _make(cls, data, device=CPU, requires_grad=False):
        t = cls.__new__(cls)
        t._init(data, device, requires_grad)
        return t

    # -- metadata -------------------------------------------------------------------------
    @property
    def _b(self):
        return backend_for(self._device)

    @property
    def dtype(self):
        found = _dtype._FROM_NP.get(self._data.dtype)  # read by every op: one dict look-up
        return found if found is not None else _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self._data.shape[self._dim(dim)]

    def dim(self):
        return len(self._data.shape)

    ndim = property(dim)

    def numel(self):
        return self.shape.numel()

    nelement = numel

    @property
    def itemsize(self):
        return self._data.dtype.itemsize

    def element_size(self):
        return self.itemsize

    @property
    def nbytes(self):
        return self.numel() * self.itemsize

    def stride(self, dim=None):
        s = self._b.strides_of(self._data)
        return s if dim is None else s[self._dim(dim)]

    def is_contiguous(self, memory_format=None):
        return self._b.is_contiguous(self._data)

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def data_ptr(self):
        return self._data.ctypes.data if isinstance(self._data, np.ndarray) else self._data.data_ptr()

    def _dim(self, dim, ndim=None):
        """Wrap a possibly negative dim, with PyTorch's IndexError when out of range."""
        n = self.dim() if ndim is None else ndim
        lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
        if not lo <= dim <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return dim % max(n, 1)

    @property
    def _version(self):
        return self._vc[0]

    # -- autograd ---------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if value and not self.dtype._inexact:
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd.engine import backward
        backward(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self):
        if self.grad_fn is None:
            return
        if not self._retains_grad:
            import weakref
            ref = weakref.ref(self)

            def store(g):
                t = ref()
                if t is not None:
                    t.grad = g.detach().clone() if t.grad is None else t.grad + g.detach()
            self.grad_fn.register_prehook(store, self._output_nr)
            self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        """hook(grad) -> new grad or None, called when this tensor's gradient is computed."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.function import edge_of
        node, nr = edge_of(self)
        node.register_prehook(hook, nr)

        class _Handle:
            def remove(self_):
                hooks = node._pre_hooks.get(nr, [])
                if hook in hooks:
                    hooks.remove(hook)
        return _Handle()

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor) after backward has added to this leaf's `.grad` (as PyTorch 2.1+)."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.function import edge_of
        hooks = edge_of(self)[0].post_hooks
        hooks.append(hook)

        class _Handle:
            def remove(self_):
                if hook in hooks:
                    hooks.remove(hook)
        return _Handle()

    def detach(self):
        t = Tensor._make(self._data, self._device)
        t._vc = self._vc
        return t

    def detach_(self):
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn, self._requires_grad = None, False
        return self

    @property
    def data(self):
        return Tensor._make(self._data, self._device)

    @data.setter
    def data(self, value):
        self._data, self._device = value._data, value._device

    # -- conversion -----------------------------------------------------------------------------
    def numpy(self, *, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu" and not force:
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use Tensor.cpu() to "
                            "copy the tensor to host memory first.")
        return self._b.to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return self._b.to_numpy(self._data).reshape(()).item() if self.dtype is not _dtype.bfloat16 else float(
            self._b.to_numpy(self._data).reshape(()).astype(np.float32))

    def tolist(self):
        a = self._b.to_numpy(self._data)
        if self.dtype in (_dtype.bfloat16, _dtype.float16):
            a = a.astype(np.float32)
        return a.tolist()

    def __len__(self):
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self):
        v = self.item()
        if isinstance(v, complex):
            raise RuntimeError("value cannot be converted to type double without overflow")
        return float(v)

    def __int__(self):
        v = self.item()
        if isinstance(v, complex):
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        return int(v)

    def __complex__(self):
        return complex(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec):
        if self.dim() == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        # DataLoader workers send batches between processes: data, dtype and device only.
        return (_rebuild, (self._b.to_numpy(self._data), str(self._device), self.requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.")
        t = type(self).__new__(type(self))
        t._init(self._b.copy(self._data), self._device, self.requires_grad)  # a new buffer on any device
        t.__dict__.update({k: v for k, v in self.__dict__.items() if k not in t.__dict__})
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t


def _rebuild(array, device, requires_grad):
    t = Tensor._make(array, CPU, requires_grad)
    return t if device == "cpu" else t.to(device)


def _bind_methods():
    """Attach the ops of tritorch._ops as methods (tensor.exp(), tensor + 1, ...)."""
    from . import _ops
    for name in _ops.METHODS:
        setattr(Tensor, name, getattr(_ops, name))
    for dunder, fn in _ops.DUNDERS.items():
        setattr(Tensor, dunder, fn)
    Tensor.T = property(_ops.numpy_T)
    Tensor.real, Tensor.imag = property(_ops.real), property(_ops.imag)
    Tensor.mT = property(lambda self: self.transpose(-2, -1))
    Tensor.H = property(_conj_T)  # conjugate transposes (conj: a no-op on real tensors)
    Tensor.mH = property(_conj_mT)
    Tensor.adjoint = _conj_mT


def _conj_T(self):
    if self.dim() not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor.")
    return (self.transpose(0, 1) if self.dim() == 2 else self).conj()


def _conj_mT(self):
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.dim()}-D tensor.")
    return self.transpose(-2, -1).conj()
