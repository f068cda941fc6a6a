"""In-place ops (`x.add_(y)`, `x[i] = v`, `x.zero_()`), with PyTorch's autograd rules.

An in-place op computes its result out of place, writes it into the tensor's memory, bumps the
version counter (so a stale saved tensor raises at backward) and moves the tensor's history
onto the result. Writing through a view also rebases the view's root base (`CopySlices`),
so `base.grad` sees the write, as in PyTorch.
"""
from .. import _dtype
from ..autograd import grad_mode
from ..autograd.function import Function
from ._util import is_tensor, wrap


class Overwrite(Function):
    """A value that replaced a tensor with history: no gradient flows to what was overwritten."""

    @staticmethod
    def forward(ctx, old, new):
        ctx.old_shape = old.shape
        return wrap(new._data, new.device)

    @staticmethod
    def backward(ctx, g):
        return g.new_zeros(ctx.old_shape), g


class CopySlices(Function):
    """The base after a write of `value` into the region view_fn(base). Data is already written."""

    @staticmethod
    def forward(ctx, base_before, value, view_fn):
        ctx.view_fn = view_fn
        return wrap(base_before._data, base_before.device)

    @staticmethod
    def backward(ctx, g):
        g_base = g.clone()
        with grad_mode.no_grad():
            region = ctx.view_fn(g_base)
            region._data_write(region.new_zeros(()))
        return g_base, ctx.view_fn(g), None


def _tracking(*xs):
    return grad_mode.is_grad_enabled() and any(is_tensor(x) and x.requires_grad for x in xs)


def snapshot(t, *others):
    """What an in-place op on t reads: t itself, or, when autograd records the op, a copy carrying
    t's history (the op may save its input, and t's memory is about to be overwritten)."""
    if not _tracking(t, *others):
        return t
    s = wrap(t._b.copy(t._data), t.device)
    s.grad_fn, s._output_nr, s._requires_grad = t.grad_fn, t._output_nr, t.requires_grad
    if t.grad_fn is None and t.requires_grad:
        s._grad_accumulator = t._grad_accumulator
    return s


def _check_leaf(t):
    if not grad_mode.is_grad_enabled():
        return
    if t.is_leaf and t.requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if t._base is not None and t._base.is_leaf and t._base.requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


_SCALAR_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def apply_inplace(t, result, overwrite=False):
    """Write `result` into t's memory and give t result's autograd history. Returns t.
    overwrite: result does not depend on t's old value (copy_), whose gradient is then zero."""
    _check_leaf(t)
    if result.dtype.category > t.dtype.category:
        raise RuntimeError(f"result type {_dtype.SCALAR_TYPE_NAMES[result.dtype.name]} can't be cast to the desired "
                           f"output type {_dtype.SCALAR_TYPE_NAMES[t.dtype.name]}")
    if tuple(result.shape) != tuple(t.shape):
        from .shape import broadcast_shapes
        try:
            ok = broadcast_shapes(result.shape, t.shape) == tuple(t.shape)
        except RuntimeError:
            ok = False
        if not ok:
            raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the broadcast shape "
                               f"{list(broadcast_shapes(result.shape, t.shape)) if ok else list(result.shape)}")
        result = result.expand(t.shape)
    if result.dtype is not t.dtype:
        result = result.to(t.dtype)
    if result.device != t.device:
        result = result.to(t.device)
    if result.is_leaf and result.requires_grad:  # t must take a node of its own, not become a leaf
        result = result.clone()
    if grad_mode.is_grad_enabled() and t.requires_grad and (overwrite or not result.requires_grad):
        old = wrap(t._data, t.device)
        old.grad_fn, old._output_nr, old._requires_grad = t.grad_fn, t._output_nr, True
        result = Overwrite.apply(old, result)
    t._data_write(result)
    if not (grad_mode.is_grad_enabled() and result.requires_grad):
        return t
    if t._base is None:
        t.grad_fn, t._output_nr, t._requires_grad = result.grad_fn, result._output_nr, True
        return t
    base = t._base
    before = wrap(base._data, base.device)
    before.grad_fn, before._output_nr, before._requires_grad = base.grad_fn, base._output_nr, base.requires_grad
    before._grad_accumulator = base._grad_accumulator
    new_base = CopySlices.apply(before, result, t._view_fn)
    base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True
    view = t._view_fn(base)
    t.grad_fn, t._output_nr, t._requires_grad = view.grad_fn, view._output_nr, True
    return t


def data_write(t, value):
    """Raw write of value (a Tensor or scalar, broadcast) into t's memory; bumps the version."""
    if any(st == 0 and n > 1 for st, n in zip(t.stride(), t.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                           "memory location. Please clone() the tensor before performing the operation.")
    src = value._data if is_tensor(value) else value
    t._b.copy_(t._data, src)
    t._vc[0] += 1


def _method(fn, name):
    def method(self, *args, **kwargs):
        return apply_inplace(self, fn(snapshot(self, *args, *kwargs.values()), *args, **kwargs))
    method.__name__ = name
    method.__doc__ = f"In-place version of {fn.__name__}."
    return method


_C_TYPES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "bool": "bool",
            "int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t"}


def _check_scalar(t, value):
    """PyTorch refuses a complex Python number written into a real tensor (never a silent real part)."""
    if isinstance(value, complex) and not t.dtype.is_complex:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES[t.dtype.name]} without overflow")


def copy_(self, src, non_blocking=False):
    _check_scalar(self, src)
    value = src if is_tensor(src) else self.new_tensor(src)
    if not _tracking(value) and not (grad_mode.is_grad_enabled() and self.requires_grad):
        _check_leaf(self)
        if value.device != self.device:
            value = value.to(self.device)
        if value.dtype is not self.dtype:
            value = value.to(self.dtype)
        from .shape import broadcast_shapes
        if broadcast_shapes(value.shape, self.shape) != tuple(self.shape):
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(broadcast_shapes(value.shape, self.shape))}")
        self._data_write(value)
        return self
    return apply_inplace(self, value.to(self.device), overwrite=True)


def fill_(self, value):
    if is_tensor(value) and value.requires_grad:
        return apply_inplace(self, value.expand(self.shape), overwrite=True)
    _check_leaf(self)
    value = value.item() if is_tensor(value) else value
    _check_scalar(self, value)
    self._data_write(value)
    return self


def zero_(self):
    return fill_(self, 0)


def _dtype_of(x):
    return x.dtype if is_tensor(x) else _dtype.scalar_dtype(x)
