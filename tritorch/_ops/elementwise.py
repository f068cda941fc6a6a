"""Elementwise ops: unary math, binary arithmetic with broadcasting, comparisons, where, clamp."""
import cmath
import math
import warnings

from .. import _dtype
from ..autograd import grad_mode
from ..autograd.function import Function
from .._dispatch import backend_for
from ._util import (Tensor, binary_result_type, check_broadcast, common_device, data_on, float_dtype, grad_for,
                    is_tensor, meta_of, needs_graph, wrap)
from .complex import complex_pow_grads, conj_any, refuse_complex_op

# -- unary ----------------------------------------------------------------------------------
# name -> gradient as a function of (input x, output y, grad g); None: not differentiable.
_LN2, _LN10 = math.log(2.0), math.log(10.0)
UNARY_GRADS = {
    "exp": lambda x, y, g: g * y,
    "exp2": lambda x, y, g: g * y * _LN2,
    "log": lambda x, y, g: g / x,
    "log2": lambda x, y, g: g / (x * _LN2),
    "log10": lambda x, y, g: g / (x * _LN10),
    "log1p": lambda x, y, g: g / (x + 1),
    "expm1": lambda x, y, g: g * (y + 1),
    "sqrt": lambda x, y, g: g / (2 * y),
    "rsqrt": lambda x, y, g: -0.5 * g * y * y * y,
    "abs": lambda x, y, g: g * x.sign(),
    "neg": lambda x, y, g: -g,
    "sin": lambda x, y, g: g * x.cos(),
    "cos": lambda x, y, g: -g * x.sin(),
    "tan": lambda x, y, g: g * (1 + y * y),
    "tanh": lambda x, y, g: g * (1 - y * y),
    "sigmoid": lambda x, y, g: g * y * (1 - y),
    "relu": lambda x, y, g: _relu_grad(y, g),
    "erf": lambda x, y, g: g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp(),
    "reciprocal": lambda x, y, g: -g * y * y,
    "asin": lambda x, y, g: g / (1 - x * x).sqrt(),
    "acos": lambda x, y, g: -g / (1 - x * x).sqrt(),
    "atan": lambda x, y, g: g / (1 + x * x),
    "sinh": lambda x, y, g: g * x.cosh(),
    "cosh": lambda x, y, g: g * x.sinh(),
    "square": lambda x, y, g: 2 * g * x,
    "sign": None, "floor": None, "ceil": None, "round": None, "trunc": None,
}
_RELU_FUSED = (_dtype.float32, _dtype.float64)


def _relu_grad(y, g):
    """g * (y > 0); one backend primitive when it has one and no graph is wanted of the backward."""
    if y.dtype is g.dtype and y.dtype in _RELU_FUSED and not grad_mode._enabled and y.shape == g.shape \
            and g._device is y._device and hasattr(y._b, "relu_backward"):
        return wrap(y._b.relu_backward(g._data, y._data), y._device)
    return g * (y > 0)


# derivatives written with the output y; the others read only the input x
_USES_OUTPUT = {"exp", "exp2", "expm1", "sqrt", "rsqrt", "tan", "tanh", "sigmoid", "relu", "reciprocal"}
# ops that keep integer dtypes; the rest compute in the default float dtype for int inputs
_INT_PRESERVING = {"abs", "neg", "sign", "floor", "ceil", "round", "trunc", "relu", "square"}
PREDICATES = ("isnan", "isinf", "isfinite", "logical_not", "bitwise_not")


def unary(op, x):
    """op(x) as a new Tensor, no graph. Integer inputs compute in the default float dtype, except
    for the ops that keep integers and the predicates. Complex inputs stay complex (abs gives the real
    dtype); ops PyTorch lacks for complex raise its error."""
    dtype = x.dtype
    if dtype.is_complex:
        refuse_complex_op(op, dtype)
    if op == "neg" and dtype is _dtype.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    if op == "bitwise_not" and dtype.is_floating_point:
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for '{_TYPE_NAMES.get(dtype.name)}'")
    backend, data = backend_for(x._device), x._data
    if op not in _INT_PRESERVING and not dtype._inexact and op not in PREDICATES:
        data = backend.cast(data, _dtype.get_default_dtype().np)
    return wrap(backend.unary(op, data), x._device)


class Unary(Function):
    op = None

    @staticmethod
    def forward(ctx, x):
        op = ctx._fn.op
        out = unary(op, x)
        ctx.save_for_backward(*((None, out) if op in _USES_OUTPUT else (x, None)))
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        fn = UNARY_GRADS[ctx._fn.op]
        if (x if x is not None else y).dtype.is_complex:
            # PyTorch's convention: grad * conj(f'(x)); for these real-coefficient functions
            # conj(f'(x)) = f'(conj x), so the real formulas on conj'd x and y give it. abs is not
            # holomorphic: its gradient is grad * sgn(x).
            if ctx._fn.op == "abs":
                from .complex import sgn
                return g * sgn(x)
            x, y = conj_any(x), conj_any(y)
        return (g * 0) if fn is None else fn(x, y, g)


def _unary_op(name):
    fn_cls = type(name.capitalize(), (Unary,), {"op": name, "_name_override": name.capitalize() + "Backward0"})

    def op(input):
        if needs_graph(input):
            return fn_cls.apply(input)
        return unary(name, input)
    op.__name__ = name
    op.__doc__ = f"{name}(input) elementwise; same shape as input."
    return op


UNARY = {name: _unary_op(name) for name in list(UNARY_GRADS) + list(PREDICATES)}

# -- binary ---------------------------------------------------------------------------------
_COMPARE = {"eq", "ne", "lt", "le", "gt", "ge"}
_LOGICAL = {"logical_and", "logical_or", "logical_xor"}


def _ties(a, b):
    return (a == b).to(float_dtype(a.dtype if is_tensor(a) else b.dtype))


# (gradient for a, for b); `needs`: ctx.needs_input_grad (an input that needs none may get None)
BINARY_GRADS = {
    "add": lambda a, b, out, g, needs: (g, g),
    "sub": lambda a, b, out, g, needs: (g, -g if needs[1] else None),
    "mul": lambda a, b, out, g, needs: (g * b if needs[0] else None, g * a if needs[1] else None),
    "div": lambda a, b, out, g, needs: (g / b if needs[0] else None, -g * a / (b * b) if needs[1] else None),
    "pow": lambda a, b, out, g, needs: (
        g * b * a ** (b - 1) if needs[0] else None,
        g * out * (a.log() if is_tensor(a) else cmath.log(a) if isinstance(a, complex) else math.log(a))),
    "maximum": lambda a, b, out, g, needs: (g * ((a > b) + 0.5 * _ties(a, b)), g * ((b > a) + 0.5 * _ties(a, b))),
    "minimum": lambda a, b, out, g, needs: (g * ((a < b) + 0.5 * _ties(a, b)), g * ((b < a) + 0.5 * _ties(a, b))),
    "atan2": lambda a, b, out, g, needs: (g * b / (a * a + b * b), -g * a / (a * a + b * b)),
    "remainder": lambda a, b, out, g, needs: (g, -g * (a / b).floor()),
    "fmod": lambda a, b, out, g, needs: (g, -g * (a / b).trunc()),
}


# what each backward reads: (inputs, output); saving less lets in-place ops on the rest go ahead
_SAVES = {"add": (False, False), "sub": (False, False), "pow": (True, True)}


def binary(op, a, b):
    """op(a, b) as a new Tensor, no graph: broadcast, on the operands' common device, in PyTorch's
    promoted dtype (bool for comparisons and logical ops). One of a, b may be a Python scalar."""
    device = common_device(a, b)
    check_broadcast(a, b)
    dtype = binary_result_type(a, b)
    if op in ("div", "atan2"):
        dtype = float_dtype(dtype)
    if op in _LOGICAL:
        dtype = _dtype.bool_
    if not dtype.is_floating_point or op.startswith("bitwise"):  # float arithmetic is never refused
        if dtype.is_complex:
            refuse_complex_op(op, dtype)
            if device.type != "cpu":
                from .creation import complex_cpu_only
                complex_cpu_only(op, dtype, device)
        _check_dtypes(op, a, b, dtype)
    data = backend_for(device).binary(op, data_on(a, device), data_on(b, device), dtype.np)
    return wrap(data, device)


class Binary(Function):
    op = None

    @staticmethod
    def forward(ctx, a, b):
        op = ctx._fn.op
        out = binary(op, a, b)
        keep_in, keep_out = _SAVES.get(op, (True, False))
        a_is_tensor, b_is_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
        ctx.save_for_backward(a if keep_in and a_is_tensor else None, b if keep_in and b_is_tensor else None,
                              out if keep_out else None)
        ctx.scalars = (None if a_is_tensor else a, None if b_is_tensor else b)
        ctx.inputs = (meta_of(a), meta_of(b))
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        a = ctx.scalars[0] if a is None else a
        b = ctx.scalars[1] if b is None else b
        fn = BINARY_GRADS.get(ctx._fn.op)
        if g.dtype.is_complex:  # grad * conj(d op / d input): the real formulas on conj'd operands
            if ctx._fn.op == "pow":  # not for pow: a real negative base's log sits on the branch cut
                fn = complex_pow_grads
            else:
                a, b, out = conj_any(a), conj_any(b), conj_any(out)
        ga, gb = (g * 0, g * 0) if fn is None else fn(a, b, out, g, ctx.needs_input_grad)
        return (grad_for(ga, ctx.inputs[0], ctx.needs_input_grad[0]),
                grad_for(gb, ctx.inputs[1], ctx.needs_input_grad[1]))


def _has(x, pred):
    """Whether any element of x (tensor or scalar) satisfies pred; read under no_grad in forward."""
    return bool(pred(x).any()) if is_tensor(x) else bool(pred(x))


def _check_dtypes(op, a, b, dtype):
    """PyTorch's refusals: bool '-', bitwise ops on floats, integer powers/divisions it rejects."""
    if op == "sub" and dtype is _dtype.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if op.startswith("bitwise") and dtype.is_floating_point:
        raise RuntimeError(f"\"{op}_cpu\" not implemented for '{_TYPE_NAMES.get(dtype.name, dtype.name)}'")
    if dtype._inexact or dtype is _dtype.bool_:
        return
    if op == "pow" and _has(b, lambda v: v < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if op in ("floor_divide", "remainder", "fmod") and _has(b, lambda v: v == 0):
        raise RuntimeError("ZeroDivisionError")


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}


def _binary_op(name):
    fn_cls = type(name.capitalize(), (Binary,), {"op": name, "_name_override": name.capitalize() + "Backward0"})

    def op(input, other):
        if needs_graph(input, other):
            return fn_cls.apply(input, other)
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise TypeError(f"{name}(): expected at least one Tensor argument")
        return binary(name, input, other)
    op.__name__ = name
    op.__doc__ = f"{name}(input, other) elementwise with broadcasting and PyTorch's type promotion."
    op.fn_cls = fn_cls
    return op


BINARY = {name: _binary_op(name) for name in list(BINARY_GRADS) + sorted(_COMPARE) + sorted(_LOGICAL) + [
    "floor_divide", "bitwise_and", "bitwise_or", "bitwise_xor"]}


def add(input, other, *, alpha=1):
    return BINARY["add"](input, other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1):
    return BINARY["sub"](input, other if alpha == 1 else other * alpha)


def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return BINARY["div"](input, other)
    if rounding_mode == "floor":
        return BINARY["floor_divide"](input, other)
    if rounding_mode == "trunc":
        q = BINARY["div"](input, other).trunc()
        return q.to(_dtype.result_type(input, other))
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


def pow(input, exponent):
    return BINARY["pow"](input, exponent)


# -- ternary and friends --------------------------------------------------------------------
class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        device = common_device(cond, a, b)
        dtype = _dtype.result_type(a, b)
        ctx.save_for_backward(cond)
        ctx.inputs = (meta_of(a), meta_of(b))
        backend = cond._b if cond.device == device else (a if is_tensor(a) and a.device == device else b)._b
        return wrap(backend.where(data_on(cond, device), data_on(a, device), data_on(b, device), dtype.np), device)

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        zero = g.new_zeros(())
        return (None, grad_for(where(cond, g, zero), ctx.inputs[0], ctx.needs_input_grad[1]),
                grad_for(where(cond, zero, g), ctx.inputs[1], ctx.needs_input_grad[2]))


def where(condition, input=None, other=None):
    """where(cond, x, y): x where cond else y, broadcast; where(cond) is nonzero(as_tuple=True)."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition.dtype is not _dtype.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtype.SCALAR_TYPE_NAMES[condition.dtype.name]}")
    return Where.apply(condition, input, other)


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        src = ctx.src = x.dtype
        data = x._data
        if dtype.is_complex and x._device.type != "cpu":
            from .creation import complex_cpu_only
            complex_cpu_only("Tensor.to", dtype, x._device)
        if src.is_complex and dtype is _dtype.bool_:  # nonzero, imaginary part included
            return wrap(data != 0, x.device)
        if src.is_complex and not dtype.is_complex:
            warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=3)
            data = data.real
        return wrap(x._b.cast(data, dtype.np), x.device)

    @staticmethod
    def backward(ctx, g):
        if g.dtype.is_complex and not ctx.src.is_complex:
            g = g.real
        return g.to(ctx.src), None


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        return wrap(x._b.clamp(x._data, lo, hi), x.device)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        lo, hi = ctx.bounds
        keep = x == x
        if lo is not None:
            keep = keep & (x >= lo)
        if hi is not None:
            keep = keep & (x <= hi)
        return g * keep, None, None


def clamp(input, min=None, max=None):
    if input.dtype.is_complex:
        raise NotImplementedError("clamp is not supported for complex types")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if is_tensor(min) or is_tensor(max):
        out = input
        if min is not None:
            out = BINARY["maximum"](out, min)
        if max is not None:
            out = BINARY["minimum"](out, max)
        return out
    dtype = _dtype.result_type(input, *[b for b in (min, max) if b is not None])
    return Clamp.apply(input if dtype is input.dtype else input.to(dtype), min, max)


def masked_fill(input, mask, value):
    if mask.dtype is not _dtype.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.name}")
    if is_tensor(value) and value.dim() != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.dim()} dimension(s).")
    value = value.to(input.dtype) if is_tensor(value) else value
    out = where(mask, value if is_tensor(value) else input.new_tensor(value), input)
    if out.shape != input.shape:
        raise RuntimeError(f"masked_fill: mask of shape {list(mask.shape)} does not broadcast to input of shape "
                           f"{list(input.shape)}")
    return out


def lerp(input, end, weight):
    return input + weight * (end - input)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if input.dtype.is_complex:  # the real and imaginary parts apart, as PyTorch
        from .complex import complex as _complex
        return _complex(nan_to_num(input.real, nan, posinf, neginf), nan_to_num(input.imag, nan, posinf, neginf))
    if not input.dtype.is_floating_point:
        return input.clone()
    import numpy as np
    info = np.finfo(np.float32 if input.dtype is _dtype.bfloat16 else input.dtype.np)
    if input.dtype is _dtype.bfloat16:
        import ml_dtypes
        info = ml_dtypes.finfo(ml_dtypes.bfloat16)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    out = where(input.isnan(), input.new_tensor(nan), input)
    out = where(out == math.inf, out.new_tensor(posinf), out)
    return where(out == -math.inf, out.new_tensor(neginf), out)
