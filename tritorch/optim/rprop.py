"""Rprop (Riedmiller & Braun, 1993: resilient backpropagation), written as tensor ops."""
from .._ops.creation import full_like, zeros_like
from .._ops.elementwise import where
from ._composed import check_range, step_tensor
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop, PyTorch's algorithm: each element keeps its own step size, multiplied by
    :math:`\eta_+` when the gradient keeps its sign and by :math:`\eta_-` when it flips (that
    step is then skipped: the gradient counts as 0), clamped to `step_sizes`;
    :math:`\theta_t = \theta_{t-1} - \mathrm{sign}(g_t)\,\Delta_t`.

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): initial step size. Default: ``1e-2``.
        etas (Tuple[float, float], optional): :math:`(\eta_-, \eta_+)`. Default: ``(0.5, 1.2)``.
        step_sizes (Tuple[float, float], optional): min and max step size. Default: ``(1e-6, 50)``.
        maximize (bool, optional): Default: ``False``.
        foreach, capturable, differentiable (optional): accepted for compatibility.

    State per parameter: ``step``, ``prev`` (the last gradient used) and ``step_size``.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        check_range("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _init_state(self, p, group):
        return {"step": step_tensor(), "prev": zeros_like(p), "step_size": full_like(p, group["lr"])}

    def _update(self, p, state, group):
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        state["step"].add_(1)
        g = -p.grad if group["maximize"] else p.grad
        s = (g * state["prev"]).sign()
        factor = where(s > 0, etaplus, where(s < 0, etaminus, 1.0)).to(p.dtype)
        state["step_size"].mul_(factor).clamp_(lo, hi)
        g = g.masked_fill(s < 0, 0.0)
        p.sub_(g.sign() * state["step_size"])
        state["prev"].copy_(g)
