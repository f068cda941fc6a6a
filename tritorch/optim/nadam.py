"""NAdam (Dozat, 2016: Adam with Nesterov momentum), written as tensor ops."""
from .._ops.creation import zeros_like
from ._composed import check_betas, check_range, grad_of, step_tensor
from .optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, PyTorch's algorithm:

    .. math::
        \mu_t = \beta_1 (1 - \tfrac12 0.96^{t\psi}), \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        \theta_t = \theta_{t-1} - \gamma \frac{\mu_{t+1} m_t / (1 - \prod_{i \le t+1}\mu_i)
        + (1-\mu_t) g_t / (1 - \prod_{i \le t}\mu_i)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): Default: ``2e-3``.
        betas (Tuple[float, float], optional): Default: ``(0.9, 0.999)``.
        eps (float, optional): Default: ``1e-8``.
        weight_decay (float, optional): Default: ``0``.
        momentum_decay (float, optional): :math:`\psi`. Default: ``4e-3``.
        decoupled_weight_decay (bool, optional): AdamW-style decay (NAdamW). Default: ``False``.
        maximize (bool, optional): Default: ``False``.
        foreach, capturable, differentiable (optional): accepted for compatibility.

    State per parameter: ``step``, ``mu_product`` (0-d), ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_betas(betas)
        check_range("weight_decay value", weight_decay)
        check_range("momentum_decay value", momentum_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _init_state(self, p, group):
        return {"step": step_tensor(), "mu_product": step_tensor(1.0), "exp_avg": zeros_like(p),
                "exp_avg_sq": zeros_like(p)}

    def _update(self, p, state, group):
        beta1, beta2 = group["betas"]
        lr, psi = group["lr"], group["momentum_decay"]
        state["step"].add_(1)
        step = state["step"].item()
        decoupled = group["decoupled_weight_decay"]
        g = grad_of(p, group, decay=not decoupled)
        if decoupled and group["weight_decay"] != 0:
            p.mul_(1 - lr * group["weight_decay"])
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        state["mu_product"].mul_(mu)
        mu_product = state["mu_product"].item()
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq.mul_(beta2).add_(g * g * (1 - beta2))
        denom = (exp_avg_sq / (1 - beta2 ** step)).sqrt() + group["eps"]
        p.add_(g / denom * (-lr * (1 - mu) / (1 - mu_product)))
        p.add_(exp_avg / denom * (-lr * mu_next / (1 - mu_product * mu_next)))
