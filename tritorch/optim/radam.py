"""RAdam (Liu et al., 2019: Adam with a rectified adaptive learning rate), written as tensor ops."""
import math

from .._ops.creation import zeros_like
from ._composed import check_betas, check_range, grad_of, step_tensor
from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, PyTorch's algorithm: Adam's moments; while the variance estimate is unreliable
    (:math:`\rho_t \le 5`) the step is momentum SGD, :math:`\theta_t = \theta_{t-1} - \gamma \hat m_t`;
    then :math:`\theta_t = \theta_{t-1} - \gamma \hat m_t r_t \sqrt{1-\beta_2^t} / (\sqrt{v_t} + \epsilon)` with

    .. math::
        \rho_\infty = \frac{2}{1-\beta_2} - 1, \quad \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}, \quad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): Default: ``1e-3``.
        betas (Tuple[float, float], optional): Default: ``(0.9, 0.999)``.
        eps (float, optional): Default: ``1e-8``.
        weight_decay (float, optional): Default: ``0``.
        decoupled_weight_decay (bool, optional): AdamW-style decay. Default: ``False``.
        maximize (bool, optional): Default: ``False``.
        foreach, capturable, differentiable (optional): accepted for compatibility.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_betas(betas)
        check_range("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable))

    def _init_state(self, p, group):
        return {"step": step_tensor(), "exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}

    def _update(self, p, state, group):
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        state["step"].add_(1)
        step = state["step"].item()
        decoupled = group["decoupled_weight_decay"]
        g = grad_of(p, group, decay=not decoupled)
        if decoupled and group["weight_decay"] != 0:
            p.mul_(1 - lr * group["weight_decay"])
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq.mul_(beta2).add_(g * g * (1 - beta2))
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        corrected = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(bias_correction2) / (exp_avg_sq.sqrt() + group["eps"])
            p.sub_(corrected * lr * adaptive * rect)
        else:
            p.sub_(corrected * lr)
