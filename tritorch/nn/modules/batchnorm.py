"""BatchNorm1d and BatchNorm2d: batch statistics in training, running statistics in eval."""
import tritorch
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


class _BatchNorm(Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(tritorch.empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(tritorch.empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", tritorch.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", tritorch.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tritorch.tensor(0, dtype=tritorch.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    _dims = ()  # the input ranks a subclass accepts, and how its error names them
    _dims_name = ""

    def _check_input_dim(self, input):
        if input.dim() not in self._dims:
            raise ValueError(f"expected {self._dims_name} input (got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"running_mean should contain {input.shape[1]} elements not {self.num_features}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with tritorch.no_grad():
                self.num_batches_tracked.add_(1)
            # momentum=None: a cumulative moving average
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation of (N, C) or (N, C, L) over the batch (and L):
    :math:`y = \frac{x - E[x]}{\sqrt{Var[x] + \epsilon}} \gamma + \beta`.

    Training normalises with the batch's biased variance and updates running_mean/running_var
    (unbiased) with ``momentum`` (None: cumulative average); eval uses the running statistics.

    Args:
        num_features (int): C.
        eps (float, optional): Default: ``1e-5``.
        momentum (float or None, optional): Default: ``0.1``.
        affine (bool, optional): learn gamma (ones) and beta (zeros). Default: ``True``.
        track_running_stats (bool, optional): keep running statistics. Default: ``True``.
    """

    _dims, _dims_name = (2, 3), "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) per channel; see BatchNorm1d."""

    _dims, _dims_name = (4,), "4D"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) per channel; see BatchNorm1d."""

    _dims, _dims_name = (5,), "5D"
