"""Adadelta (Zeiler, 2012), written as tensor ops."""
from .._ops.creation import zeros_like
from ._composed import check_range, grad_of, step_tensor
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's algorithm:

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
        \Delta x_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t, \quad
        u_t = \rho u_{t-1} + (1-\rho) \Delta x_t^2, \quad \theta_t = \theta_{t-1} - \gamma \Delta x_t

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): coefficient :math:`\gamma` of the delta. Default: ``1.0``.
        rho (float, optional): decay of the running averages. Default: ``0.9``.
        eps (float, optional): Default: ``1e-6``.
        weight_decay (float, optional): L2 penalty. Default: ``0``.
        maximize (bool, optional): Default: ``False``.
        foreach, capturable, differentiable (optional): accepted for compatibility.

    State per parameter: ``step``, ``square_avg`` and ``acc_delta`` (like the parameter).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_range("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_range("epsilon value", eps)
        check_range("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    def _init_state(self, p, group):
        return {"step": step_tensor(), "square_avg": zeros_like(p), "acc_delta": zeros_like(p)}

    def _update(self, p, state, group):
        rho, eps = group["rho"], group["eps"]
        state["step"].add_(1)
        g = grad_of(p, group)
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg.mul_(rho).add_(g * g * (1 - rho))
        delta = (acc_delta + eps).sqrt() / (square_avg + eps).sqrt() * g
        acc_delta.mul_(rho).add_(delta * delta * (1 - rho))
        p.add_(delta, alpha=-group["lr"])
