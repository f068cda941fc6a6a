"""SparseAdam: Adam for sparse COO gradients (nn.Embedding(sparse=True) and friends)."""
import math

import numpy as np

from .._ops.creation import zeros_like
from ..autograd import no_grad
from .optimizer import Optimizer, _closure_loss

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""SparseAdam, PyTorch's algorithm: Adam whose moments and parameter change only at the rows
    (indices) of the sparse gradient; the others keep their moments untouched ("lazy Adam").
    With :math:`g` the coalesced gradient (negated under maximize) and :math:`I` its indices:

    .. math::
        m_I \leftarrow m_I + (1-\beta_1)(g - m_I), \quad v_I \leftarrow v_I + (1-\beta_2)(g^2 - v_I), \\
        \theta_I \leftarrow \theta_I - \gamma\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m_I}{\sqrt{v_I} + \epsilon}

    (:math:`t` counts the steps in which the parameter had a gradient; an empty gradient skips the
    update but still counts.) Dense gradients raise, as in PyTorch (use Adam). CPU only, as
    tritorch's sparse tensors.

    Args:
        params (iterable): dense tensors to optimize or dicts defining parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: ``1e-3``.
        betas (Tuple[float, float], optional): :math:`(\beta_1, \beta_2)`. Default: ``(0.9, 0.999)``.
        eps (float, optional): :math:`\epsilon`. Default: ``1e-8``.
        maximize (bool, optional): maximize the objective. Default: ``False``.

    State per parameter: ``step`` (a Python int, as PyTorch's), ``exp_avg``, ``exp_avg_sq`` (like
    the parameter).

    Examples:
        >>> emb = tritorch.nn.Embedding(1000, 16, sparse=True)
        >>> opt = tritorch.optim.SparseAdam(emb.parameters(), lr=1e-2)
        >>> emb(ids).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        sparse = [[i, j] for i, g in enumerate(self.param_groups) for j, p in enumerate(g["params"]) if p.is_sparse]
        if sparse:
            raise ValueError(f"Sparse params at indices {sparse}: SparseAdam requires dense parameter tensors")

    def step(self, closure=None):
        """Update every parameter that has a (sparse) `.grad`; returns the closure's loss."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                todo = []
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if not p.grad.is_sparse:
                        raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
                    state = self.state[p]
                    if len(state) == 0:
                        state.update(step=0, exp_avg=zeros_like(p), exp_avg_sq=zeros_like(p))
                    state["step"] += 1
                    todo.append((p, state))
                for p, state in todo:
                    _sparse_adam(p, state, group)
        return loss


def _sparse_adam(p, state, group):
    """One update, op for op as torch.optim._functional.sparse_adam (float32 in, float32 out)."""
    beta1, beta2 = group["betas"]
    grad = (-p.grad if group["maximize"] else p.grad).coalesce()
    vals = grad._svals
    if vals.size == 0:
        return
    ix = tuple(grad._sidx)
    m, v, w = state["exp_avg"]._data, state["exp_avg_sq"]._data, p._data
    dt = vals.dtype
    old_m = m[ix]
    upd_m = (vals - old_m) * np.asarray(1 - beta1, dt)
    m[ix] += upd_m
    old_v = v[ix]
    upd_v = (vals * vals - old_v) * np.asarray(1 - beta2, dt)
    v[ix] += upd_v
    numer = upd_m + old_m
    denom = np.sqrt(upd_v + old_v) + np.asarray(group["eps"], dt)
    step = state["step"]
    step_size = group["lr"] * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
    w[ix] += np.asarray(-step_size, dt) * (numer / denom)
    for t in (p, state["exp_avg"], state["exp_avg_sq"]):
        t._vc[0] += 1
