"""Identity, Linear and Bilinear."""
import math

import tritorch
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


class Identity(Module):
    """Returns its input; constructor arguments are accepted and ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    r"""Affine map :math:`y = x W^T + b`.

    Weight and bias are drawn from :math:`U(-1/\sqrt{k}, 1/\sqrt{k})`, k = in_features (weight through
    ``kaiming_uniform_(a=sqrt(5))``, as PyTorch does).

    Args:
        in_features (int): size of each input sample.
        out_features (int): size of each output sample.
        bias (bool, optional): learn an additive bias. Default: ``True``.

    Shape: input (*, in_features) -> output (*, out_features).

    Examples:
        >>> m = nn.Linear(20, 30)
        >>> m(tritorch.randn(128, 20)).shape
        tritorch.Size([128, 30])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(tritorch.empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(tritorch.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    r"""Bilinear map :math:`y_k = x_1^T A_k x_2 + b_k`, weight and bias from
    :math:`U(-1/\sqrt{in1}, 1/\sqrt{in1})`.

    Args:
        in1_features (int), in2_features (int), out_features (int): sizes.
        bias (bool, optional): learn an additive bias. Default: ``True``.

    Shape: (*, in1), (*, in2) -> (*, out).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(tritorch.empty((out_features, in1_features, in2_features), device=device,
                                               dtype=dtype))
        if bias:
            self.bias = Parameter(tritorch.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
