"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""
from .._ops.creation import zeros_like
from .._sparse_add import add_to_dense
from .optimizer import Optimizer, _fused

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's algorithm:

    .. math::
        g_t = \pm\nabla_\theta f_t(\theta_{t-1}) + \lambda\theta_{t-1}, \quad
        b_t = \mu b_{t-1} + (1-\tau) g_t \;(b_1 = g_1), \quad
        \theta_t = \theta_{t-1} - \gamma\,(g_t + \mu b_t \text{ if nesterov else } b_t)

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: ``1e-3``.
        momentum (float, optional): momentum factor :math:`\mu`. Default: ``0``.
        dampening (float, optional): dampening :math:`\tau` of the momentum. Default: ``0``.
        weight_decay (float, optional): L2 penalty :math:`\lambda`. Default: ``0``.
        nesterov (bool, optional): Nesterov momentum. Default: ``False``.
        maximize (bool, optional): maximize the objective instead of minimizing. Default: ``False``.
        foreach, fused (optional): accepted for compatibility; every update already is one fused
            primitive per parameter.

    State per parameter: ``momentum_buffer`` (like the parameter) when momentum != 0.
    Sparse COO gradients (CPU) are accepted, as in PyTorch (not with weight_decay).

    Examples:
        >>> opt = tritorch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, fused=fused)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)

    _sparse_grads = True

    def _update_sparse(self, p, state, group):
        """A sparse COO grad, as PyTorch's single-tensor path: the momentum buffer is sparse too
        (its nnz grows), and weight decay raises as there (sparse + dense)."""
        g = -p.grad if group["maximize"] else p.grad
        if group["weight_decay"] != 0:
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.detach().clone()
            else:
                buf.mul_(momentum).add_(g, alpha=1 - group["dampening"])
            g = g.add(buf, alpha=momentum) if group["nesterov"] else buf
        add_to_dense(p, g, -float(group["lr"]))

    def _update(self, p, state, group):
        momentum = group["momentum"]
        buf = state.get("momentum_buffer")
        first = buf is None
        if momentum != 0 and first:
            buf = state["momentum_buffer"] = zeros_like(p)
        _fused("sgd_step", [p, p.grad, buf if momentum != 0 else None], float(group["lr"]), group["weight_decay"],
               momentum, group["dampening"], group["nesterov"], group["maximize"], first)
