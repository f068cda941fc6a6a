"""Adam (with optional AMSGrad and decoupled weight decay)."""
from .. import _dtype
from .._ops.creation import tensor, zeros_like
from .optimizer import Optimizer, _fused

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    r"""Adam, PyTorch's algorithm (Kingma & Ba, 2014; AMSGrad: Reddi et al., 2018):

    .. math::
        g_t = \pm\nabla f_t(\theta_{t-1}) + \lambda\theta_{t-1}, \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
        \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}, \quad
        \hat v_t = \max(\hat v_{t-1}, v_t) \text{ with amsgrad, else } v_t

    With ``decoupled_weight_decay=True`` the decay is AdamW's: :math:`\theta \leftarrow
    \theta(1-\gamma\lambda)` before the update, and no :math:`\lambda\theta` in :math:`g_t`.

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: ``1e-3``.
        betas (Tuple[float, float], optional): :math:`(\beta_1, \beta_2)`. Default: ``(0.9, 0.999)``.
        eps (float, optional): :math:`\epsilon` added to the denominator. Default: ``1e-8``.
        weight_decay (float, optional): :math:`\lambda`. Default: ``0``.
        amsgrad (bool, optional): use the running maximum of :math:`v_t`. Default: ``False``.
        maximize (bool, optional): maximize the objective. Default: ``False``.
        decoupled_weight_decay (bool, optional): AdamW's decay. Default: ``False``.
        foreach, fused (optional): accepted for compatibility (the update is always fused).

    State per parameter: ``step`` (a 0-d float32 CPU tensor), ``exp_avg``, ``exp_avg_sq`` and,
    with amsgrad, ``max_exp_avg_sq`` (like the parameter).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, fused=None, decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    _sparse_grads = "Adam does not support sparse gradients, please consider SparseAdam instead"

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("decoupled_weight_decay", False)

    def _init_state(self, p, group):
        state = {"step": tensor(0.0, dtype=_dtype.float32), "exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)
        return state

    def _update(self, p, state, group):
        state["step"].add_(1)
        beta1, beta2 = group["betas"]
        _fused("adam_step", [p, p.grad, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq")],
               state["step"].item(), float(group["lr"]), beta1, beta2, group["eps"], group["weight_decay"],
               group["amsgrad"], group["maximize"], group["decoupled_weight_decay"])
