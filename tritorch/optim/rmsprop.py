"""RMSprop (Hinton's lecture notes; centered variant from Graves, 2013)."""
from .. import _dtype
from .._ops.creation import tensor, zeros_like
from .optimizer import Optimizer, _fused

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's algorithm:

    .. math::
        g_t = \pm\nabla f_t(\theta_{t-1}) + \lambda\theta_{t-1}, \quad
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \quad
        \tilde v_t = v_t - \bar g_t^2 \text{ (centered, } \bar g_t = \alpha\bar g_{t-1} + (1-\alpha) g_t),\\
        b_t = \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon), \quad \theta_t = \theta_{t-1} - \gamma b_t
        \quad (\mu = 0: \theta_t = \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon))

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: ``1e-2``.
        alpha (float, optional): smoothing constant :math:`\alpha`. Default: ``0.99``.
        eps (float, optional): :math:`\epsilon` added to the denominator. Default: ``1e-8``.
        weight_decay (float, optional): L2 penalty :math:`\lambda`. Default: ``0``.
        momentum (float, optional): momentum factor :math:`\mu`. Default: ``0``.
        centered (bool, optional): normalise by the variance estimate of the gradient. Default: ``False``.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        foreach (optional): accepted for compatibility (the update is always fused).

    State per parameter: ``step`` (0-d float32), ``square_avg``, ``momentum_buffer`` when
    momentum > 0, ``grad_avg`` when centered.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 foreach=None, maximize=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("maximize", False)

    def _init_state(self, p, group):
        state = {"step": tensor(0.0, dtype=_dtype.float32), "square_avg": zeros_like(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)
        return state

    def _update(self, p, state, group):
        state["step"].add_(1)
        _fused("rmsprop_step", [p, p.grad, state["square_avg"], state.get("grad_avg") if group["centered"] else None,
                                state.get("momentum_buffer") if group["momentum"] > 0 else None],
               float(group["lr"]), group["alpha"], group["eps"], group["weight_decay"], group["momentum"],
               group["centered"], group["maximize"])
