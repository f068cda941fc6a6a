"""ASGD (Polyak & Juditsky, 1992: averaged stochastic gradient descent), written as tensor ops."""
from .._ops.creation import zeros_like
from ._composed import check_range, grad_of, step_tensor
from .optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""ASGD, PyTorch's algorithm:

    .. math::
        \theta_t = \theta_{t-1}(1 - \lambda\eta_{t-1}) - \eta_{t-1} g_t, \quad
        a_t = a_{t-1} + \mu_{t-1}(\theta_t - a_{t-1}) \ (a_t = \theta_t \text{ while } \mu = 1), \\
        \eta_t = \gamma / (1 + \lambda\gamma t)^\alpha, \quad \mu_t = 1 / \max(1, t - t_0)

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): :math:`\gamma`. Default: ``1e-2``.
        lambd (float, optional): decay term :math:`\lambda`. Default: ``1e-4``.
        alpha (float, optional): power of the eta update. Default: ``0.75``.
        t0 (float, optional): step at which averaging starts. Default: ``1e6``.
        weight_decay (float, optional): L2 penalty. Default: ``0``.
        maximize (bool, optional): Default: ``False``.
        foreach, capturable, differentiable (optional): accepted for compatibility.

    State per parameter: ``step``, ``eta``, ``mu`` (0-d) and ``ax``, the average (like the parameter).
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_range("learning rate", lr)
        check_range("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _init_state(self, p, group):
        return {"step": step_tensor(), "eta": step_tensor(group["lr"]), "mu": step_tensor(1.0), "ax": zeros_like(p)}

    def _update(self, p, state, group):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        state["step"].add_(1)
        step = state["step"].item()
        g = grad_of(p, group)
        eta = state["eta"].item()
        p.mul_(1 - lambd * eta)
        p.add_(g, alpha=-eta)
        ax = state["ax"]
        if state["mu"].item() != 1:
            ax.add_((p - ax) * state["mu"].item())
        else:
            ax.copy_(p)
        state["eta"].fill_(lr / ((1 + lambd * lr * step) ** alpha))
        state["mu"].fill_(1 / max(1, step - t0))
