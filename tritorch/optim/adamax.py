"""Adamax (Kingma & Ba, 2014: Adam under the infinity norm), written as tensor ops."""
from .._ops.creation import zeros_like
from ._composed import check_betas, check_range, grad_of, step_tensor
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, PyTorch's algorithm:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \frac{m_t}{u_t}

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): Default: ``2e-3``.
        betas (Tuple[float, float], optional): Default: ``(0.9, 0.999)``.
        eps (float, optional): Default: ``1e-8``.
        weight_decay (float, optional): L2 penalty. Default: ``0``.
        maximize (bool, optional): Default: ``False``.
        foreach, capturable, differentiable (optional): accepted for compatibility.

    State per parameter: ``step``, ``exp_avg`` and ``exp_inf`` (like the parameter).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_betas(betas)
        check_range("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _init_state(self, p, group):
        return {"step": step_tensor(), "exp_avg": zeros_like(p), "exp_inf": zeros_like(p)}

    def _update(self, p, state, group):
        beta1, beta2 = group["betas"]
        state["step"].add_(1)
        g = grad_of(p, group)
        state["exp_avg"].lerp_(g, 1 - beta1)
        exp_inf = state["exp_inf"]
        exp_inf.copy_(exp_inf.mul_(beta2).maximum(g.abs() + group["eps"]))
        clr = group["lr"] / (1 - beta1 ** state["step"].item())
        p.sub_(state["exp_avg"] / exp_inf * clr)
