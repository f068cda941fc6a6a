"""linear (one fused primitive: matmul + bias + activation) and bilinear."""
import math

import tritorch
from ...autograd import grad_mode
from ...autograd.function import Function
from ...amp.autocast import autocast_args
from ..._ops._util import common_device, data_on, wrap

__all__ = ["linear", "bilinear"]

_TYPE = tritorch._dtype.SCALAR_TYPE_NAMES  # "Long", "Float", ... as PyTorch's messages spell dtypes


def _activation_grad(z, activation):
    """d activation(z) / dz, in Tensor ops."""
    if activation == "relu":
        return (z > 0).to(z.dtype)
    if activation == "gelu":
        cdf = 0.5 * (1.0 + (z * (1.0 / math.sqrt(2.0))).erf())
        return cdf + z * (-0.5 * z * z).exp() * (1.0 / math.sqrt(2.0 * math.pi))
    if activation == "gelu_tanh":
        k = math.sqrt(2.0 / math.pi)
        t = (k * (z + 0.044715 * z * z * z)).tanh()
        return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * k * (1.0 + 3 * 0.044715 * z * z)
    if activation == "silu":
        s = z.sigmoid()
        return s * (1.0 + z * (1.0 - s))
    raise ValueError(f"linear: unknown activation '{activation}'")


def _composed(x, w, b, activation):
    from .activation import gelu, silu
    z = x @ w.mT if b is None else x @ w.mT + b
    acts = {"none": lambda t: t, "relu": lambda t: t.relu(), "gelu": gelu,
            "gelu_tanh": lambda t: gelu(t, approximate="tanh"), "silu": silu}
    if activation not in acts:
        raise ValueError(f"linear: unknown activation '{activation}'")
    return acts[activation](z)


class Linear(Function):
    """y = activation(x @ w.T + b), the backend's `linear` primitive.

    x: (..., in) or (in,); w: (out, in); b: (out,) or None; activation: 'none', 'relu', 'gelu'
    (erf), 'gelu_tanh' or 'silu'."""

    @staticmethod
    def forward(ctx, x, w, b, activation):
        device = common_device(x, w, b)
        ctx.save_for_backward(x, w, b)
        ctx.activation = activation
        if not hasattr(x._b, "linear"):  # a backend without the fused primitive: the same math in Tensor ops
            return _composed(x, w, b, activation)
        return wrap(x._b.linear(data_on(x, device), data_on(w, device), data_on(b, device), activation), device)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        if ctx.activation == "none" and not grad_mode.is_grad_enabled() and hasattr(x._b, "linear_backward") \
                and not g.dtype.is_complex:  # one backend primitive: three matmuls and a sum, no graph ops
            dev, needs = x.device, ctx.needs_input_grad
            gx, gw, gb = x._b.linear_backward(data_on(g, dev), x._data, w._data, needs[0], needs[1],
                                              b is not None and needs[2])
            return (None if gx is None else wrap(gx, dev), None if gw is None else wrap(gw, dev),
                    None if gb is None else wrap(gb, dev), None)
        if g.dtype.is_complex:  # gx = g conj(w), gw = g^T conj(x)
            x, w = x.conj(), w.conj()
        if ctx.activation != "none":
            z = x @ w.mT if b is None else x @ w.mT + b
            g = g * _activation_grad(z, ctx.activation)
        out_f, in_f = w.shape
        rows = math.prod(x.shape[:-1])  # not -1: ambiguous when in_f or out_f is 0
        gx = g @ w if ctx.needs_input_grad[0] else None
        gw = g.reshape(rows, out_f).mT @ x.reshape(rows, in_f) if ctx.needs_input_grad[1] else None
        gb = g.reshape(rows, out_f).sum(0) if b is not None and ctx.needs_input_grad[2] else None
        return gx, gw, gb, None


def _check_linear(input, weight, bias):
    """PyTorch's errors for mismatched operands; the bias as (out,) (a () or (1,) bias expanded)."""
    ishape, wshape = tuple(input.shape), tuple(weight.shape)
    if len(wshape) != 2:
        raise RuntimeError(f"linear(): weight must be 2-D, but got {len(wshape)}-D with shape {list(wshape)}")
    if not ishape:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and 2D")
    if ishape[-1] != wshape[1]:
        rows = math.prod(ishape[:-1])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{ishape[-1]} and "
                           f"{wshape[1]}x{wshape[0]})")
    dtype = input.dtype
    for other in (weight, bias):
        if other is not None and other.dtype is not dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_TYPE[dtype.name]} and "
                               f"{_TYPE[other.dtype.name]}")
    if bias is not None:
        bshape = tuple(bias.shape)
        if bshape != (wshape[0],):
            if bshape not in ((), (1,)):
                raise RuntimeError(f"The size of tensor a ({wshape[0]}) must match the size of tensor b "
                                   f"({bshape[-1]}) at non-singleton dimension {len(ishape) - 1}")
            bias = bias.expand(wshape[0])
    return bias


def linear(input, weight, bias=None, *, activation="none"):
    """y = x @ weight.T + bias, through the fused linear primitive.

    Args:
        input (Tensor): (*, in_features).
        weight (Tensor): (out_features, in_features).
        bias (Tensor, optional): (out_features,). Default: ``None``.
        activation (str, keyword, tritorch extension): applied in the same primitive: 'none', 'relu',
            'gelu', 'gelu_tanh' or 'silu'. Default: ``'none'``.

    Returns (*, out_features), input's dtype.
    """
    input, weight, bias = autocast_args("linear", input, weight, bias)
    bias = _check_linear(input, weight, bias)
    return Linear.apply(input, weight, bias, activation)


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1 @ weight[k] @ x2 + bias[k]. input1: (*, in1); input2: (*, in2);
    weight: (out, in1, in2); bias: (out,) -> (*, out)."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.dim() != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes {input1.shape[-1]} and {input2.shape[-1]} do not match the "
                           f"weight of shape {list(weight.shape)}")
    lead = input1.shape[:-1]
    x1, x2 = input1.reshape(-1, input1.shape[-1]), input2.reshape(-1, input2.shape[-1])
    y = tritorch.einsum("ni,kij,nj->nk", x1, weight, x2)
    if bias is not None:
        y = y + bias
    return y.reshape(tuple(lead) + (weight.shape[0],))
