"""Activation functions, composed from Tensor ops (autograd comes for free) or tritorch's
fused softmax primitive. Shapes: any; the output has the input's shape and dtype."""
import math

import tritorch
from ...autograd import grad_mode
from ...autograd.function import Function
from ..._ops._util import wrap
from ..._ops.inplace import apply_inplace, snapshot
from ..._ops.complex import refuse_complex

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu", "mish",
           "softplus", "tanh", "sigmoid", "hardtanh", "hardtanh_", "softmax", "log_softmax", "logsigmoid",
           "hardsigmoid", "hardswish", "selu", "celu", "softsign", "tanhshrink", "glu"]


def _maybe_inplace(fn, input, inplace):
    return apply_inplace(input, fn(snapshot(input))) if inplace else fn(input)


def relu(input, inplace=False):
    """max(x, 0)."""
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(lambda x: x.clamp(min_val, max_val), input, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    return _maybe_inplace(lambda x: tritorch.where(x > 0, x, x * negative_slope), input, inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1); exp only of non-positive values (no overflow)."""
    return _maybe_inplace(lambda x: tritorch.where(x > 0, x, x.clamp(max=0).expm1() * alpha), input, inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return _maybe_inplace(lambda x: scale * elu(x, alpha), input, inplace)


def celu(input, alpha=1.0, inplace=False):
    return _maybe_inplace(lambda x: tritorch.where(x > 0, x, (x.clamp(max=0) / alpha).expm1() * alpha), input,
                          inplace)


def _gelu_composed(input, approximate):
    if approximate == "none":
        return input * 0.5 * (1.0 + (input * (1.0 / math.sqrt(2.0))).erf())
    inner = math.sqrt(2.0 / math.pi) * (input + 0.044715 * input * input * input)
    return 0.5 * input * (1.0 + inner.tanh())


class GELU(Function):
    """The backend's fused `gelu` / `gelu_backward` primitives: one node, two numpy passes'
    worth of temporaries instead of a dozen graph nodes."""

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        y, ctx.phi = x._b.gelu(x._data, approximate)  # Phi(x) (or tanh's value): the backward reuses it
        return wrap(y, x.device)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if grad_mode.is_grad_enabled():  # create_graph: the derivative in Tensor ops
            return tritorch.autograd.grad([_gelu_composed(x, ctx.approximate)], [x], [g], create_graph=True)[0], None
        return wrap(x._b.gelu_backward(g._data, x._data, ctx.approximate, ctx.phi), x.device), None


def gelu(input, approximate="none"):
    """x * Phi(x) with the exact normal CDF (erf), or its tanh approximation (approximate='tanh')."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    if not input.dtype.is_floating_point or not hasattr(input._b, "gelu_backward"):
        return _gelu_composed(input, approximate)
    return GELU.apply(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    refuse_complex("silu", input)
    return _maybe_inplace(lambda x: x * x.sigmoid(), input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold. Stable form
    relu(z) + log1p(exp(-|z|)): no overflow, no NaN gradient."""
    z = input * beta
    soft = (z.relu() + (-z.abs()).exp().log1p()) / beta
    return tritorch.where(z > threshold, input, soft)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _maybe_inplace(lambda x: x * softplus(x).tanh(), input, inplace)


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -softplus(-input)


def hardsigmoid(input, inplace=False):
    return _maybe_inplace(lambda x: (x / 6 + 0.5).clamp(0.0, 1.0), input, inplace)


def hardswish(input, inplace=False):
    return _maybe_inplace(lambda x: x * (x + 3).clamp(0.0, 6.0) / 6, input, inplace)


def softsign(input):
    return input / (1 + input.abs())


def tanhshrink(input):
    return input - input.tanh()


def glu(input, dim=-1):
    """a * sigmoid(b) where (a, b) are the halves of input along dim."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {input._dim(dim)} is size "
                           f"{input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along dim, through tritorch's fused softmax primitive."""
    return tritorch.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along dim, through tritorch's fused log-softmax primitive."""
    return tritorch.log_softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return tritorch.softmax(-input, dim, dtype=dtype)


__all__ += ["softmin"]


def prelu(input, weight):
    """max(0, x) + weight * min(0, x); weight has 1 or C (= input.shape[1]) elements."""
    if weight.numel() != 1:
        if input.dim() < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {input.shape[1] if input.dim() > 1 else 1}.")
        weight = weight.reshape((1, -1) + (1,) * (input.dim() - 2))
    return tritorch.where(input > 0, input, weight * input)


__all__ += ["prelu"]
