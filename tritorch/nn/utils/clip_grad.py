"""clip_grad_norm_ and clip_grad_value_: in-place rescaling of parameters' .grad."""
import math
import warnings

import tritorch
from ...autograd import grad_mode


def _grads(parameters):
    if isinstance(parameters, tritorch.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients so that their joint norm (as if concatenated) is at most max_norm.

    Args:
        parameters (Tensor or iterable of Tensors): whose .grad to clip.
        max_norm (float): the largest allowed norm.
        norm_type (float or 'inf'): the p of the p-norm. Default: 2.
        error_if_nonfinite (bool): raise when the total norm is nan or inf. Default: ``False``.

    Returns the total norm before clipping (a 0-d tensor).
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return tritorch.tensor(0.0)
    with grad_mode.no_grad():
        if math.isinf(norm_type):
            norms = [g.detach().abs().max() for g in grads]
            total = norms[0] if len(norms) == 1 else tritorch.stack([n.to(grads[0].device) for n in norms]).max()
        else:
            norms = [g.detach().norm(norm_type) for g in grads]
            total = tritorch.stack([n.to(grads[0].device) for n in norms]).norm(norm_type)
        if error_if_nonfinite and not bool(total.isfinite()):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                               "so it cannot be clipped. To disable this error and scale the gradients by the "
                               "non-finite norm anyway, set `error_if_nonfinite=False`")
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.device, g.dtype))
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated spelling of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with grad_mode.no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
