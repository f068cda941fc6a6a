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


class SyncBatchNorm(_BatchNorm):
    """BatchNorm whose batch statistics are meant to be reduced over a process group. In a single
    process (tritorch.distributed not initialised, or a world of one) that is plain batch norm, which
    is what this computes; in a larger world it raises rather than silently use local statistics.

    Args: as BatchNorm1d, plus process_group (optional).
    """

    _dims, _dims_name = (2, 3, 4, 5), "at least 2D"

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input):
        if self.training:
            try:
                import tritorch.distributed as dist
                world = dist.get_world_size(self.process_group) if dist.is_available() and dist.is_initialized() \
                    else 1
            except (ImportError, AttributeError):
                world = 1
            if world > 1:
                raise NotImplementedError("SyncBatchNorm across several processes is not implemented in tritorch; "
                                          "convert the model back with BatchNorm or train in one process")
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """A copy-free conversion: every BatchNorm*d in module replaced by a SyncBatchNorm holding
        the same parameters and buffers."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm) and \
                type(module).__name__.startswith("BatchNorm"):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            out.running_mean, out.running_var = module.running_mean, module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
