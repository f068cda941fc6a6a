"""instance_norm: normalise each (sample, channel) plane of (N, C, *) over its spatial dims."""
import tritorch
from ...autograd import grad_mode
from ..._ops.complex import refuse_complex

__all__ = ["instance_norm"]


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Instance normalisation of (N, C, *spatial), statistics per (n, c) over the spatial dims.

    use_input_stats=True normalises with each plane's own mean and biased variance and, when
    running_mean/running_var (C,) are given, updates them in place with the batch average of the
    per-plane mean and unbiased variance (PyTorch's rule); False normalises with the running
    statistics. weight/bias (C,) scale and shift per channel. Output: input's shape and dtype.
    """
    refuse_complex("batch_norm", input)
    if input.dim() < 3:
        raise ValueError(f"Expected 2D (unbatched) or 3D (batched) input to instance_norm, but got input of size: "
                         f"{list(input.shape)}")
    c = input.shape[1]
    axes = tuple(range(2, input.dim()))
    shape = (1, c) + (1,) * len(axes)
    if use_input_stats:
        count = 1
        for d in axes:
            count *= input.shape[d]
        if count <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{list(input.shape)}")
        mean = input.mean(axes, keepdim=True)
        var = input.var(axes, keepdim=True, correction=0)
        if running_mean is not None and running_var is not None:
            with grad_mode.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach().mean(0).reshape(c) * momentum)
                unbiased = var.detach().mean(0).reshape(c) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    y = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y
