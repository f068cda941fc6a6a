"""LayerNorm, RMSNorm and GroupNorm."""
import numbers

import tritorch
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


def _shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class LayerNorm(Module):
    r"""Layer normalisation over the trailing ``normalized_shape`` dims:
    :math:`y = \frac{x - E[x]}{\sqrt{Var[x] + \epsilon}} \gamma + \beta` (biased variance).

    Args:
        normalized_shape (int or tuple): the trailing shape to normalise over.
        eps (float, optional): added to the variance. Default: ``1e-5``.
        elementwise_affine (bool, optional): learn gamma (ones) and beta (zeros). Default: ``True``.
        bias (bool, optional): learn beta when affine. Default: ``True``.

    Shape: (*, *normalized_shape) -> same.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(tritorch.empty(self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(tritorch.empty(self.normalized_shape, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    r"""Root-mean-square normalisation: :math:`y = \frac{x}{\sqrt{mean(x^2) + \epsilon}} \gamma`.

    Args:
        normalized_shape (int or tuple): the trailing shape to normalise over.
        eps (float, optional): added to the mean square; ``None`` means ``finfo(input.dtype).eps``.
            Default: ``None``.
        elementwise_affine (bool, optional): learn gamma (ones). Default: ``True``.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(tritorch.empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    r"""Group normalisation of (N, C, *): channels split into ``num_groups`` groups, each normalised
    over its channels and spatial dims, then a per-channel affine (weight ones, bias zeros).

    Args:
        num_groups (int): number of groups; must divide num_channels.
        num_channels (int): C.
        eps (float, optional): Default: ``1e-5``.
        affine (bool, optional): learn the per-channel affine. Default: ``True``.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(tritorch.empty(num_channels, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(tritorch.empty(num_channels, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"
