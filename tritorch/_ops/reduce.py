"""Reductions (sum, mean, max, var, ...), scans and softmax; every one takes `dim` as an int or
a tuple and `keepdim`, as in PyTorch."""
import builtins
import collections

from .. import _dtype
from ..amp.autocast import autocast_args
from ..autograd.function import Function
from .._dispatch import backend_for
from ._util import dims, float_dtype, needs_graph, wrap

return_max = collections.namedtuple("max", ["values", "indices"])
return_min = collections.namedtuple("min", ["values", "indices"])


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdim and axes:
        for a in axes:
            g = g.unsqueeze(a)
    elif not keepdim:
        g = g.reshape((1,) * len(shape))
    return g.expand(shape)


def _sum(x, axes, keepdim, dtype):
    """sum of x over `axes` (() = all) in `dtype`, as a new Tensor, no graph."""
    return wrap(backend_for(x._device).reduce("sum", x._data, axes, keepdim, dtype.np), x._device)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.meta = (x.shape, axes, keepdim)
        return _sum(x, axes, keepdim, dtype)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, *ctx.meta), None, None, None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    input, = autocast_args("sum", input)
    axes = dims(dim, input.dim())
    if dtype is None:
        dtype = input.dtype if input.dtype._inexact else _dtype.int64
    if needs_graph(input):
        return Sum.apply(input, axes, keepdim, dtype)
    return _sum(input, axes, keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    d = dtype or input.dtype
    if not d._inexact:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_dtype.SCALAR_TYPE_NAMES[input.dtype.name]}")
    axes = dims(dim, input.dim())
    n = 1
    for a in (axes or range(input.dim())):
        n *= input.shape[a]
    if d in (_dtype.float16, _dtype.bfloat16) and n:  # sum and divide in float32, round once (PyTorch):
        return Mean.apply(input.to(d), axes, keepdim, n)  # a float16 sum of 4096 x 60000 ones is inf
    total = Sum.apply(input.to(d), axes, keepdim, d)  # not sum(): autocast runs sum, not mean, in float32
    return total / n if n else total * float("nan")


class Mean(Function):
    """The backend's mean: float16/bfloat16 accumulate and divide in float32, then round."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, n):
        ctx.meta = (x.shape, axes, keepdim, n)
        mean = x._b.reduce("mean", x._data, axes, keepdim, _dtype.float32.np)  # then one rounding to x's dtype
        return wrap(x._b.cast(mean, x.dtype.np), x.device)

    @staticmethod
    def backward(ctx, g):
        shape, axes, keepdim, n = ctx.meta
        return _expand_back(g / n, shape, axes, keepdim), None, None, None


def sum_to_size(input, *size):
    """Sum over the dims where `size` is 1 (or absent, leading) so that the result has `size`."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    if tuple(input.shape) == size:
        return input
    lead = input.dim() - len(size)
    if lead < 0 or builtins.any(s != 1 and s != input.shape[lead + i] for i, s in enumerate(size)):
        raise RuntimeError(f"size {list(size)} is not expandable to size {list(input.shape)}.")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and input.shape[lead + i] != 1)
    out = sum(input, axes, keepdim=True) if axes else input
    return out.reshape(size)


class Prod(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = wrap(x._b.reduce("prod", x._data, axes, keepdim), x.device)
        ctx.save_for_backward(x)
        ctx.meta = (axes, keepdim)
        return out

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        axes, keepdim = ctx.meta
        axes = axes or tuple(range(x.dim()))
        # product of all other elements, without dividing (exact when x has zeros)
        rest = [d for d in range(x.dim()) if d not in axes]
        perm = rest + list(axes)
        xp = x.permute(perm) if x.dim() else x.reshape(1)
        flat = xp.reshape(tuple(xp.shape[:len(rest)]) + (-1,))
        ones = flat.new_ones(tuple(flat.shape[:-1]) + (1,))
        left = cat([ones, flat[..., :-1]], -1).cumprod(-1)
        right = cat([flat[..., 1:], ones], -1).flip(-1).cumprod(-1).flip(-1)
        others = (left * right).reshape(xp.shape)
        if x.dim():
            inv = [perm.index(i) for i in range(x.dim())]
            others = others.permute(inv)
        else:
            others = others.reshape(())
        if x.dtype.is_complex:
            others = others.conj()
        return _expand_back(g, x.shape, axes if x.dim() else (), keepdim) * others, None, None


def prod(input, dim=None, keepdim=False, *, dtype=None):
    x = input.to(dtype) if dtype is not None else (input if input.dtype._inexact else input.long())
    return Prod.apply(x, dims(dim, x.dim()) if dim is not None else (), keepdim)


class Extremum(Function):
    """amax/amin: the gradient is shared evenly between tied extreme elements, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, op, axes, keepdim):
        if x.dtype.is_complex:
            raise NotImplementedError(f"\"{op[1:]}_values_cpu\" not implemented for "
                                      f"'{_dtype.SCALAR_TYPE_NAMES[x.dtype.name]}'")
        if x.numel() == 0 and not axes:
            raise RuntimeError(f"{_message_name(op)}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        out = wrap(x._b.reduce(op, x._data, axes, keepdim), x.device)
        ctx.save_for_backward(x, out)
        ctx.meta = (axes, keepdim)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        axes, keepdim = ctx.meta
        hit = (x == _expand_back(out, x.shape, axes, keepdim)).to(g.dtype)
        count = _expand_back(hit.sum(axes or None, keepdim=keepdim), x.shape, axes, keepdim)
        return _expand_back(g, x.shape, axes, keepdim) * hit / count, None, None, None


def amax(input, dim=(), keepdim=False):
    if input.numel() == 0 and not dims(dim, input.dim()):
        raise RuntimeError("amax(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    return Extremum.apply(input, "amax", dims(dim, input.dim()), keepdim)


def amin(input, dim=(), keepdim=False):
    if input.numel() == 0 and not dims(dim, input.dim()):
        raise RuntimeError("amin(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    return Extremum.apply(input, "amin", dims(dim, input.dim()), keepdim)


def _message_name(op):
    """The name PyTorch's messages use: max()/min() call amax/amin here."""
    return {"amax": "max", "amin": "min"}.get(op, op)


def _arg(input, op, dim, keepdim):
    if input.dtype.is_complex:
        raise RuntimeError(f"{op}(): does not support complex input")
    if dim is None and input.numel() == 0:  # numpy's ValueError otherwise
        raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
    if dim is None:
        return wrap(input._b.arg_reduce(op, input._data, None, keepdim), input.device)
    axis = input._dim(dim)
    if input.dim() and input.shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size.")
    return wrap(input._b.arg_reduce(op, input._data, axis if input.dim() else None, keepdim), input.device)


def argmax(input, dim=None, keepdim=False):
    return _arg(input, "argmax", dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return _arg(input, "argmin", dim, keepdim)


def _max_min(input, op, dim, keepdim, other, result):
    from .elementwise import BINARY
    if other is not None and not isinstance(other, int):
        return BINARY["maximum" if op == "amax" else "minimum"](input, other)
    if dim is None and input.dtype.is_complex:
        raise NotImplementedError(f"\"{op[1:]}_all\" not implemented for '{_dtype.SCALAR_TYPE_NAMES[input.dtype.name]}'")
    if dim is None:
        return Extremum.apply(input, op, (), False)
    idx = _arg(input, "argmax" if op == "amax" else "argmin", dim, True)
    values = input.gather(input._dim(dim), idx) if input.dim() else input
    if not keepdim and input.dim():
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return result(values, idx)


def max(input, dim=None, keepdim=False, *, other=None):
    """max(x) -> 0-d; max(x, dim) -> (values, indices); max(x, other_tensor) -> maximum."""
    if dim is not None and not isinstance(dim, int):
        other, dim = dim, None
    return _max_min(input, "amax", dim, keepdim, other, return_max)


def min(input, dim=None, keepdim=False, *, other=None):
    if dim is not None and not isinstance(dim, int):
        other, dim = dim, None
    return _max_min(input, "amin", dim, keepdim, other, return_min)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # var(x, False): the legacy unbiased positional
        unbiased, dim = dim, None
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = dims(dim, input.dim())
    n = 1
    for a in (axes or range(input.dim())):
        n *= input.shape[a]
    d = float_dtype(input.dtype)
    x = input.to(_dtype.float32 if d in (_dtype.float16, _dtype.bfloat16) else d)  # float16 squares overflow
    centered = x - mean(x, axes or None, keepdim=True)
    if d.is_complex:  # PyTorch: the real variance sum |x - mean|^2 / (n - correction)
        centered, d = centered.abs(), d.to_real()
    return (sum(centered * centered, axes or None, keepdim) / builtins.max(n - correction, 0)).to(d)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = wrap(x._b.logsumexp(x._data, axes, keepdim), x.device)
        ctx.save_for_backward(x, out)
        ctx.meta = (axes, keepdim)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        axes, keepdim = ctx.meta
        if x.dtype.is_complex:
            x, out = x.conj(), out.conj()
        return _expand_back(g, x.shape, axes, keepdim) * (x - _expand_back(out, x.shape, axes, keepdim)).exp(), \
            None, None


def logsumexp(input, dim, keepdim=False):
    x = input.to(float_dtype(input.dtype))
    return LogSumExp.apply(x, dims(dim, x.dim()), keepdim)


class CumSum(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return wrap(x._b.cumulative("cumsum", x._data, axis), x.device)

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.axis).cumsum(ctx.axis).flip(ctx.axis), None


class CumProd(Function):
    @staticmethod
    def forward(ctx, x, axis):
        out = wrap(x._b.cumulative("cumprod", x._data, axis), x.device)
        ctx.save_for_backward(x, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        a = ctx.axis
        if x.dtype.is_complex:
            x, out = x.conj(), out.conj()
        # d out_j / d x_i = out_j / x_i for j >= i (inputs with zeros give inf/nan here, documented)
        return (g * out).flip(a).cumsum(a).flip(a) / x, None


def cumsum(input, dim, *, dtype=None):
    x = input.to(dtype) if dtype else (input if input.dtype._inexact else input.long())
    return CumSum.apply(x, x._dim(dim) if x.dim() else 0)


def cumprod(input, dim, *, dtype=None):
    x = input.to(dtype) if dtype else (input if input.dtype._inexact else input.long())
    return CumProd.apply(x, x._dim(dim) if x.dim() else 0)


def _bool_reduce(op, input, dim, keepdim):
    axes = dims(dim, input.dim())
    return wrap(input._b.reduce(op, input._data, axes, keepdim, _dtype.bool_.np), input.device)


def all(input, dim=None, keepdim=False):
    return _bool_reduce("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    return _bool_reduce("any", input, dim, keepdim)


def count_nonzero(input, dim=None):
    axes = dims(dim, input.dim())
    return wrap(input._b.reduce("count_nonzero", input._data, axes, False, _dtype.int64.np), input.device)


class Norm2(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        sq = x._b.binary("mul", x._data, x._data, x.dtype.np)
        out = wrap(x._b.unary("sqrt", x._b.reduce("sum", sq, axes, keepdim)), x.device)
        ctx.save_for_backward(x, out)
        ctx.meta = (axes, keepdim)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        axes, keepdim = ctx.meta
        from .elementwise import where
        denom = _expand_back(out, x.shape, axes, keepdim)
        safe = where(denom == 0, denom.new_ones(()), denom)
        return _expand_back(g, x.shape, axes, keepdim) * x / safe * (denom != 0), None, None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    x = input.to(dtype) if dtype else input.to(float_dtype(input.dtype))
    if x.dtype in (_dtype.float16, _dtype.bfloat16):  # powers in float32, as PyTorch (300^2 overflows float16)
        return norm(x.float(), p, dim, keepdim).to(x.dtype)
    if x.dtype.is_complex:  # every p-norm of complex entries is the norm of their moduli (real dtype)
        return norm(x.abs(), p, dim, keepdim)
    axes = dims(dim, x.dim())
    if p in ("fro", 2, 2.0):
        return Norm2.apply(x, axes, keepdim)
    if p in (float("inf"), "inf"):
        return amax(x.abs(), axes, keepdim)
    if p in (-float("inf"), "-inf"):
        return amin(x.abs(), axes, keepdim)
    if p == 0:
        return sum((x != 0).to(x.dtype), axes or None, keepdim)
    if p == 1:
        return sum(x.abs(), axes or None, keepdim)
    return sum(x.abs() ** p, axes or None, keepdim) ** (1.0 / p)


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis, log):
        out = wrap(x._b.softmax(x._data, axis, log), x.device)
        ctx.save_for_backward(out)
        ctx.meta = (axis, log)
        return out

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        axis, log = ctx.meta
        if log:
            return g - y.exp() * sum(g, axis, keepdim=True), None, None
        return y * (g - sum(g * y, axis, keepdim=True)), None, None


def _softmax_input(input, dim, dtype, name):
    """(x, axis): input cast to `dtype`; integer and bool input without one raise as in PyTorch."""
    x = input.to(dtype) if dtype else input
    dim = _implicit_dim(x) if dim is None else dim
    axis = x._dim(dim) if x.dim() else 0
    if not x.dtype.is_floating_point:
        kernel = f"{name}_lastdim_kernel_impl" if axis == builtins.max(x.dim() - 1, 0) else f"{name}_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.SCALAR_TYPE_NAMES[x.dtype.name]}'")
    return x, axis


def softmax(input, dim=None, dtype=None):
    input, = autocast_args("softmax", input)
    return Softmax.apply(*_softmax_input(input, dim, dtype, "softmax"), False)


def log_softmax(input, dim=None, dtype=None):
    input, = autocast_args("log_softmax", input)
    return Softmax.apply(*_softmax_input(input, dim, dtype, "log_softmax"), True)


def _implicit_dim(x):
    return 0 if x.dim() in (0, 1, 3) else 1


def cat(tensors, dim=0):
    from .shape import cat as _cat
    return _cat(tensors, dim)
