"""Multiplicative schedules: StepLR, MultiStepLR, ExponentialLR, ConstantLR, LinearLR, LambdaLR,
MultiplicativeLR. Each `get_lr` is PyTorch's chainable form; `_get_closed_form_lr` its closed form."""
from bisect import bisect_right
from collections import Counter
import types

from .scheduler import LRScheduler, _check_optimizer, _warn_get_lr_called_within_step

__all__ = ["StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR", "LinearLR", "LambdaLR", "MultiplicativeLR"]


def _current(scheduler):
    return [group["lr"] for group in scheduler.optimizer.param_groups]


class StepLR(LRScheduler):
    r"""Multiply each group's lr by `gamma` every `step_size` epochs:
    :math:`\eta_t = \eta_0\,\gamma^{\lfloor t / \text{step\_size} \rfloor}`.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        step_size (int): period of the decay.
        gamma (float, optional): multiplicative factor. Default: ``0.1``.
        last_epoch (int, optional): Default: ``-1``.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _current(self)
        return [lr * self.gamma for lr in _current(self)]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply each group's lr by `gamma` at each milestone (a milestone listed twice decays twice).

    Args:
        optimizer (Optimizer): wrapped optimizer.
        milestones (list of int): epoch indices.
        gamma (float, optional): multiplicative factor. Default: ``0.1``.
        last_epoch (int, optional): Default: ``-1``.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self.milestones = Counter(self.milestones)  # a plain dict after tritorch.save/load

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch not in self.milestones:
            return _current(self)
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in _current(self)]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch) for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply each group's lr by `gamma` every epoch: :math:`\eta_t = \eta_0\,\gamma^t`.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        gamma (float): multiplicative factor.
        last_epoch (int, optional): Default: ``-1``.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0:
            return _current(self)
        return [lr * self.gamma for lr in _current(self)]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    r"""Scale each group's lr by `factor` for the first `total_iters` epochs, then restore it.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        factor (float, optional): in [0, 1]. Default: ``1/3``.
        total_iters (int, optional): number of scaled epochs. Default: ``5``.
        last_epoch (int, optional): Default: ``-1``.
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0:
            return [lr * self.factor for lr in _current(self)]
        if self.last_epoch != self.total_iters:
            return _current(self)
        return [lr * (1.0 / self.factor) for lr in _current(self)]

    def _get_closed_form_lr(self):
        return [base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale each group's lr by a factor moving linearly from `start_factor` to `end_factor`
    over `total_iters` epochs: :math:`\eta_t = \eta_0\,(s + (e - s)\min(t, T)/T)`.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        start_factor (float, optional): in (0, 1]. Default: ``1/3``.
        end_factor (float, optional): in [0, 1]. Default: ``1.0``.
        total_iters (int, optional): Default: ``5``.
        last_epoch (int, optional): Default: ``-1``.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in _current(self)]
        if self.last_epoch > self.total_iters:
            return _current(self)
        delta = self.end_factor - self.start_factor
        scale = 1.0 + delta / (self.total_iters * self.start_factor + (self.last_epoch - 1) * delta)
        return [lr * scale for lr in _current(self)]

    def _get_closed_form_lr(self):
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor)
                           * min(self.total_iters, self.last_epoch) / self.total_iters) for base_lr in self.base_lrs]


class _LambdaScheduler(LRScheduler):
    """Schedules driven by one function of the epoch per group; only callable objects' attributes
    go into the state dict (functions and lambdas are not saved), as in PyTorch."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if not isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        else:
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        for fn, saved in zip(self.lr_lambdas, lr_lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


class LambdaLR(_LambdaScheduler):
    r"""Each group's lr is its initial lr times `lr_lambda(epoch)`.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        lr_lambda (function or list): a function of the epoch index, or one per group.
        last_epoch (int, optional): Default: ``-1``.
    """

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        return [base_lr * lmbda(self.last_epoch) for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    r"""Each epoch after the first multiplies each group's lr by `lr_lambda(epoch)`.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        lr_lambda (function or list): a function of the epoch index, or one per group.
        last_epoch (int, optional): Default: ``-1``.
    """

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch > 0:
            return [group["lr"] * lmbda(self.last_epoch)
                    for lmbda, group in zip(self.lr_lambdas, self.optimizer.param_groups)]
        return _current(self)


class PolynomialLR(LRScheduler):
    r"""Decay each group's lr polynomially to 0 over `total_iters` epochs:
    :math:`\eta_t = \eta_0 (1 - \min(t, T)/T)^{p}` (chainable form, as PyTorch).

    Args:
        optimizer (Optimizer): wrapped optimizer.
        total_iters (int, optional): :math:`T`. Default: ``5``.
        power (float, optional): :math:`p`. Default: ``1.0``.
        last_epoch (int, optional): Default: ``-1``.
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0 or self.last_epoch > self.total_iters:
            return _current(self)
        factor = ((1.0 - self.last_epoch / self.total_iters) / (1.0 - (self.last_epoch - 1) / self.total_iters)
                  ) ** self.power
        return [lr * factor for lr in _current(self)]

    def _get_closed_form_lr(self):
        return [base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for base_lr in self.base_lrs]


__all__ += ["PolynomialLR"]
