"""Adagrad (Duchi, Hazan & Singer, 2011)."""
import numpy as np

from .. import _dtype
from .._ops.creation import full_like, tensor
from .optimizer import Optimizer, _fused

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's algorithm:

    .. math::
        \tilde\gamma = \frac{\gamma}{1 + (t-1)\eta}, \quad
        g_t = \pm\nabla f_t(\theta_{t-1}) + \lambda\theta_{t-1}, \quad
        s_t = s_{t-1} + g_t^2, \quad \theta_t = \theta_{t-1} - \tilde\gamma\,\frac{g_t}{\sqrt{s_t} + \epsilon}

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: ``1e-2``.
        lr_decay (float, optional): learning rate decay :math:`\eta`. Default: ``0``.
        weight_decay (float, optional): L2 penalty :math:`\lambda`. Default: ``0``.
        initial_accumulator_value (float, optional): :math:`s_0`. Default: ``0``.
        eps (float, optional): :math:`\epsilon` added to the denominator. Default: ``1e-10``.
        foreach, fused (optional): accepted for compatibility (the update is always fused).
        maximize (bool, optional): maximize the objective. Default: ``False``.

    State per parameter, created at construction as in PyTorch: ``step`` (0-d float32) and
    ``sum`` (like the parameter, filled with `initial_accumulator_value`). Sparse COO gradients (CPU)
    update only their rows, as in PyTorch (not with weight_decay).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p, group)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)

    def _init_state(self, p, group):
        return {"step": tensor(0.0, dtype=_dtype.float32), "sum": full_like(p, group["initial_accumulator_value"])}

    _sparse_grads = True

    def _update_sparse(self, p, state, group):
        """A sparse COO grad, as PyTorch's: coalesced, then sum and parameter change at its rows only."""
        state["step"].add_(1)
        g = -p.grad if group["maximize"] else p.grad
        if group["weight_decay"] != 0:
            raise RuntimeError("weight_decay option is not compatible with sparse gradients")
        clr = float(group["lr"]) / (1 + (state["step"].item() - 1) * group["lr_decay"])
        g = g.coalesce()
        ix, vals, acc = tuple(g._sidx), g._svals, state["sum"]._data
        acc[ix] += vals * vals
        std = np.sqrt(acc[ix]) + np.asarray(group["eps"], acc.dtype)
        p._data[ix] += (vals / std) * np.asarray(-clr, vals.dtype)
        state["sum"]._vc[0] += 1

    def _update(self, p, state, group):
        state["step"].add_(1)
        _fused("adagrad_step", [p, p.grad, state["sum"]], state["step"].item(), float(group["lr"]),
               group["lr_decay"], group["weight_decay"], group["eps"], group["maximize"])
