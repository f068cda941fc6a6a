"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW: Adam whose weight decay shrinks the parameter directly,
    :math:`\theta \leftarrow \theta(1-\gamma\lambda)`, before the Adam update (see :class:`Adam`).

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: ``1e-3``.
        betas (Tuple[float, float], optional): Default: ``(0.9, 0.999)``.
        eps (float, optional): Default: ``1e-8``.
        weight_decay (float, optional): decoupled decay :math:`\lambda`. Default: ``1e-2``.
        amsgrad (bool, optional): Default: ``False``.
        maximize (bool, optional): Default: ``False``.
        foreach, fused (optional): accepted for compatibility (the update is always fused).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         fused=fused, decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
