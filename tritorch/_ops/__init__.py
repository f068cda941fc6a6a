"""Every differentiable op, as functions `op(input, ...)`.

The package re-exports them as `tritorch.op`; `METHODS` and `DUNDERS` list those that also
become Tensor methods (`x.op(...)`), so one definition serves both spellings.
"""
import inspect

import numpy as np

from .creation import *  # noqa: F401,F403
from .creation import (bfloat16, bool_, byte, cdouble, cfloat, char, cpu, cuda, double, float_, half, int_, long,
                       new_empty,
                       new_full, new_ones, new_tensor, new_zeros, short, to, type_, type_as)
from .elementwise import (BINARY, UNARY, add, clamp, div, lerp, masked_fill, nan_to_num, pow, sub, where)
from .indexing import *  # noqa: F401,F403
from .indexing import getitem, setitem
from .inplace import apply_inplace, copy_, data_write, fill_, snapshot, zero_, _method
from .linalg import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .reduce import sum_to_size
from .shape import *  # noqa: F401,F403
from .shape import alias, numpy_T
from .sorting import *  # noqa: F401,F403
from .order_stats import *  # noqa: F401,F403
from .tile import *  # noqa: F401,F403
from .matrix import *  # noqa: F401,F403
from .counting import *  # noqa: F401,F403
from .special_fns import *  # noqa: F401,F403
from .complex import *  # noqa: F401,F403
from ._util import Tensor

globals().update(UNARY)
globals().update({k: v for k, v in BINARY.items() if k not in ("add", "sub", "div", "pow")})

mul = BINARY["mul"]
multiply, subtract, divide, true_divide, negative, absolute = mul, sub, div, div, UNARY["neg"], UNARY["abs"]
greater, greater_equal, less, less_equal, not_equal = (BINARY[k] for k in ("gt", "ge", "lt", "le", "ne"))
clip = clamp


def square_(self):
    return mul_(self, self)


def rsub(input, other, *, alpha=1):
    return sub(other, input, alpha=alpha)


def equal(input, other):
    return input.shape == other.shape and bool((input == other).all())


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    close = (input - other).abs() <= atol + rtol * other.abs()
    close = close | (input == other)
    if equal_nan:
        close = close | (input.isnan() & other.isnan())
    return close


def is_nonzero(input):
    return bool(input)


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.dtype.is_floating_point


def _random_fill(draw):
    def fill(self, *args, generator=None, **kwargs):
        from .._random import default_generator
        from ..autograd import grad_mode
        if grad_mode.is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        gen = generator or default_generator
        data_write(self, draw(self, gen, *args, **kwargs))
        return self
    sig = inspect.signature(draw)   # what help() and keyword checks see: normal_(mean=0.0, std=1.0, *, generator=None)
    fill.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "gen"] + [
        inspect.Parameter("generator", inspect.Parameter.KEYWORD_ONLY, default=None)])
    return fill


def _uniform(self, gen, low=0.0, high=1.0):
    from .creation import rand
    if self.dtype.is_complex:  # real and imaginary parts each uniform in [low, high), as PyTorch
        part = dict(dtype=self.dtype.to_real(), device=self.device, generator=gen)
        return (rand(self.shape, **part) * (high - low) + low).to(self.dtype) + 1j * (
            rand(self.shape, **part) * (high - low) + low)
    return rand(self.shape, generator=gen, dtype=float_dtype_of(self), device=self.device) * (high - low) + low


def _normal(self, gen, mean=0.0, std=1.0):
    from .creation import randn
    if not std >= 0:  # a negative std flipped the samples' sign
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if self.dtype.is_complex:  # randn's complex normal: each part N(0, 1/2)
        return randn(self.shape, generator=gen, dtype=self.dtype, device=self.device) * std + mean
    return randn(self.shape, generator=gen, dtype=float_dtype_of(self), device=self.device) * std + mean


def float_dtype_of(t):
    from .. import _dtype
    return t.dtype if t.dtype.is_floating_point else _dtype.float64


def _random_ints(self, gen, low=None, high=None):
    """random_(): [0, 2**mantissa] for floats, [0, max] for ints; random_(to); random_(from, to)."""
    from .creation import randint
    from .. import _dtype
    if low is None:
        bits = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8, "bool": 1}.get(self.dtype.name)
        low, high = 0, (1 << bits) + (self.dtype is not _dtype.bool_) if bits else int(np.iinfo(self.dtype.np).max)
    elif high is None:
        low, high = 0, low
    return randint(low, high, self.shape, generator=gen, dtype=self.dtype, device=self.device)


def _bernoulli(self, gen, p=0.5):
    from .creation import bernoulli as _b, full
    if not hasattr(p, "shape") and not 0 <= p <= 1:  # bernoulli_(1.5) drew all ones
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _b(full(self.shape, p, dtype=float_dtype_of(self), device=self.device), generator=gen)


uniform_ = _random_fill(_uniform)
normal_ = _random_fill(_normal)
random_ = _random_fill(_random_ints)
bernoulli_ = _random_fill(_bernoulli)


_INPLACE_OF = ["add", "sub", "mul", "div", "pow", "clamp", "clip", "masked_fill", "lerp", "remainder", "fmod",
               "floor_divide", "maximum", "minimum", "nan_to_num", "eq", "ne", "lt", "le", "gt", "ge",
               "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
               "index_add", "scatter", "scatter_add", "tril", "triu", "t", "squeeze", "unsqueeze", "transpose",
               "atan2", "clamp_min", "clamp_max", "index_copy", "erfinv", "erfc", "logit", "xlogy", "sinc"] + [
                   k for k in UNARY if k not in ("isnan", "isinf", "isfinite")]
for _name in _INPLACE_OF:
    globals()[_name + "_"] = _method(globals()[_name], _name + "_")
_abs_inplace = abs_
conj_physical_ = _method(conj_physical, "conj_physical_")
sgn_ = _method(sgn, "sgn_")


def abs_(self):
    if self.dtype.is_complex:  # |z| is real: PyTorch refuses to write it back into the complex tensor
        raise RuntimeError("In-place abs is not supported for complex tensors.")
    return _abs_inplace(self)

METHODS = sorted(set([
    # creation / conversion
    "to", "cpu", "cuda", "double", "half", "bfloat16", "long", "short", "char", "byte", "type_as",
    "new_tensor", "new_zeros", "new_ones", "new_empty", "new_full",
    # math
    "add", "sub", "mul", "div", "pow", "rsub", "clamp", "clip", "where", "masked_fill", "lerp", "nan_to_num",
    "multiply", "subtract", "divide", "true_divide", "negative", "absolute", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "isclose", "allclose", "equal",
    # reductions
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "logsumexp",
    "cumsum", "cumprod", "all", "any", "norm", "count_nonzero", "softmax", "log_softmax", "sum_to_size",
    # shape
    "view", "view_as", "reshape", "reshape_as", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim",
    "unsqueeze", "squeeze", "flatten", "unflatten", "expand", "expand_as", "broadcast_to", "repeat",
    "contiguous", "clone", "flip", "fliplr", "flipud", "roll", "narrow", "split", "chunk", "tensor_split",
    "unbind", "tril", "triu", "diagonal", "diag",
    # indexing
    "index_select", "gather", "scatter", "scatter_add", "masked_select", "take_along_dim", "take", "nonzero",
    "argwhere", "index_put", "index_put_", "index_add", "diagonal_scatter",
    # linalg, sorting
    "matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "addmm", "sort", "argsort", "topk", "unique",
    # in-place
    "copy_", "fill_", "zero_", "uniform_", "normal_", "random_", "bernoulli_", "square_",
    # order statistics, tiling
    "median", "nanmedian", "kthvalue", "mode", "repeat_interleave", "unfold", "ravel",
    # matrix functions (tritorch.linalg)
    "det", "logdet", "slogdet", "inverse", "pinverse", "cholesky", "qr", "svd", "cross", "trace",
    "bincount", "bucketize", "cdist", "clamp_min", "clamp_max", "index_copy", "erfinv", "erfc", "logit", "xlogy",
    "sinc", "conj", "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "is_neg", "angle", "sgn", "vdot",
    "isreal", "cfloat", "cdouble", "conj_physical_", "sgn_",
] + [k for k in UNARY] + [k for k in BINARY] + [k + "_" for k in _INPLACE_OF]))


def _r(fn):
    return lambda self, other: fn(other, self)


def _inplace_dunder(name):
    def op(self, other):
        return globals()[name](self, other)
    return op


# operators call the binary ops directly (add/sub without alpha, div without rounding_mode: one call less)
_ADD, _SUB, _DIV, _POW = BINARY["add"], BINARY["sub"], BINARY["div"], BINARY["pow"]
DUNDERS = {
    "__add__": _ADD, "__radd__": _r(_ADD), "__sub__": _SUB, "__rsub__": _r(_SUB), "__mul__": mul, "__rmul__": _r(mul),
    "__truediv__": _DIV, "__rtruediv__": _r(_DIV), "__floordiv__": BINARY["floor_divide"],
    "__rfloordiv__": _r(BINARY["floor_divide"]), "__mod__": BINARY["remainder"], "__rmod__": _r(BINARY["remainder"]),
    "__pow__": _POW, "__rpow__": _r(_POW), "__matmul__": matmul, "__rmatmul__": _r(matmul),
    "__eq__": BINARY["eq"], "__ne__": BINARY["ne"], "__lt__": BINARY["lt"], "__le__": BINARY["le"],
    "__gt__": BINARY["gt"], "__ge__": BINARY["ge"],
    "__and__": BINARY["bitwise_and"], "__rand__": _r(BINARY["bitwise_and"]), "__or__": BINARY["bitwise_or"],
    "__ror__": _r(BINARY["bitwise_or"]), "__xor__": BINARY["bitwise_xor"], "__rxor__": _r(BINARY["bitwise_xor"]),
    "__neg__": UNARY["neg"], "__pos__": lambda self: self, "__abs__": UNARY["abs"],
    "__invert__": lambda self: UNARY["logical_not" if self.dtype.name == "bool" else "bitwise_not"](self),
    "__iadd__": _inplace_dunder("add_"), "__isub__": _inplace_dunder("sub_"), "__imul__": _inplace_dunder("mul_"),
    "__itruediv__": _inplace_dunder("div_"), "__ipow__": _inplace_dunder("pow_"),
    "__ifloordiv__": _inplace_dunder("floor_divide_"), "__imod__": _inplace_dunder("remainder_"),
    "__iand__": _inplace_dunder("bitwise_and_"), "__ior__": _inplace_dunder("bitwise_or_"),
    "__ixor__": _inplace_dunder("bitwise_xor_"),
    "__getitem__": getitem, "__setitem__": setitem,
    # methods whose names clash with builtins inside this package
    "float": float_, "int": int_, "bool": bool_, "type": type_, "_data_write": data_write, "_alias": alias,
    "__array_ufunc__": None,
}

# What `from tritorch._ops import *` (tritorch/__init__.py) exports: the functions of the ops
# modules, minus those that exist only as Tensor methods in PyTorch (to, cuda, double, new_zeros,
# ...) and would otherwise shadow names such as tritorch.cuda (the runtime) or tritorch.bfloat16
# (the dtype).
_METHOD_ONLY = {"to", "cpu", "cuda", "double", "half", "bfloat16", "cfloat", "cdouble", "conj_physical_", "sgn_", "long", "short", "char", "byte", "type_as",
                "new_tensor", "new_zeros", "new_ones", "new_empty", "new_full", "float_", "int_", "bool_", "type_",
                "copy_", "fill_", "zero_", "uniform_", "normal_", "random_", "bernoulli_", "square_", "getitem",
                "setitem", "apply_inplace", "data_write", "snapshot", "alias", "numpy_T", "sum_to_size",
                "index_put_", "float_dtype_of"}
__all__ = sorted(n for n, v in list(globals().items())
                 if not n.startswith("_") and n not in _METHOD_ONLY and callable(v)
                 and getattr(v, "__module__", "").startswith("tritorch._ops") and not isinstance(v, type)
                 and not v.__module__.endswith("._util"))
