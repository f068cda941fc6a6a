"""Lazy modules: LazyLinear, LazyConv1d/2d/3d, LazyBatchNorm1d/2d/3d. The input size is read from
the first input; the parameters (the same Parameter objects, so an optimizer made before that call
keeps working, as PyTorch's UninitializedParameter) are then materialised and initialised, and the
module becomes its ordinary class, as in PyTorch."""
import tritorch
from ..parameter import Parameter
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d
from .linear import Linear


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (0 elements until materialised)."""

    def __repr__(self):
        return "<UninitializedParameter>"

    def materialize(self, shape, device=None, dtype=None):
        self.data = tritorch.empty(shape, device=device or self.device, dtype=dtype or self.dtype)
        self.__class__ = Parameter


class _LazyMixin:
    cls_to_become = None

    def has_uninitialized_params(self):
        return any(isinstance(p, UninitializedParameter) for p in self.parameters(recurse=False))

    def _lazy_setup(self, *names):
        for name in names:
            p = getattr(self, name, None)
            if p is not None:
                setattr(self, name, UninitializedParameter(tritorch.empty(0, device=p.device, dtype=p.dtype)))

    def __call__(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.initialize_parameters(input)
        self.__class__ = self.cls_to_become
        return self(input, *args, **kwargs)


class LazyLinear(_LazyMixin, Linear):
    """Linear whose in_features is input.shape[-1] of the first call.

    Args:
        out_features (int), bias (bool, optional): Default: ``True``.
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Linear.__init__(self, 0, out_features, bias, device=device, dtype=dtype)
        self._lazy_setup("weight", "bias")

    def reset_parameters(self):
        if self.in_features != 0 and not self.has_uninitialized_params():
            Linear.reset_parameters(self)

    def initialize_parameters(self, input):
        self.in_features = input.shape[-1]
        with tritorch.no_grad():
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            Linear.reset_parameters(self)


def _lazy_conv(base, n):
    class LazyConv(_LazyMixin, base):
        cls_to_become = base

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                     padding_mode="zeros", device=None, dtype=None):
            base.__init__(self, groups, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                          padding_mode, device, dtype)
            self.in_channels = 0
            self._lazy_setup("weight", "bias")

        def reset_parameters(self):
            if self.in_channels != 0 and not self.has_uninitialized_params():
                base.reset_parameters(self)

        def initialize_parameters(self, input):
            self.in_channels = input.shape[-(n + 1)]
            if self.in_channels % self.groups:
                raise ValueError("in_channels must be divisible by groups")
            with tritorch.no_grad():
                self.weight.materialize((self.out_channels, self.in_channels // self.groups) + self.kernel_size)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                base.reset_parameters(self)

    LazyConv.__name__ = LazyConv.__qualname__ = f"Lazy{base.__name__}"
    LazyConv.__doc__ = f"{base.__name__} whose in_channels is read from the first input (dim -{n + 1})."
    return LazyConv


def _lazy_bn(base):
    class LazyBN(_LazyMixin, base):
        cls_to_become = base

        def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
            base.__init__(self, 0, eps, momentum, affine, track_running_stats, device, dtype)
            self._lazy_setup("weight", "bias")
            for name in ("running_mean", "running_var"):
                if getattr(self, name, None) is not None:
                    self._buffers[name] = tritorch.empty(0, device=device, dtype=dtype)

        def has_uninitialized_params(self):
            return self.num_features == 0

        def reset_parameters(self):
            if self.num_features != 0:
                base.reset_parameters(self)

        def initialize_parameters(self, input):
            c = input.shape[1] if input.dim() > 1 else input.shape[0]
            self.num_features = c
            with tritorch.no_grad():
                for p in (self.weight, self.bias):
                    if p is not None:
                        p.materialize((c,))
                if self.track_running_stats:
                    self._buffers["running_mean"] = tritorch.zeros(c, device=input.device, dtype=self.weight.dtype
                                                                   if self.weight is not None else input.dtype)
                    self._buffers["running_var"] = tritorch.ones(c, device=input.device,
                                                                 dtype=self._buffers["running_mean"].dtype)
                base.reset_parameters(self)

    LazyBN.__name__ = LazyBN.__qualname__ = f"Lazy{base.__name__}"
    LazyBN.__doc__ = f"{base.__name__} whose num_features is read from the first input (dim 1)."
    return LazyBN


LazyConv1d, LazyConv2d, LazyConv3d = _lazy_conv(Conv1d, 1), _lazy_conv(Conv2d, 2), _lazy_conv(Conv3d, 3)
LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d = _lazy_bn(BatchNorm1d), _lazy_bn(BatchNorm2d), _lazy_bn(BatchNorm3d)
