"""Schedulers of schedulers: SequentialLR (one after another) and ChainedScheduler (all at once)."""
from bisect import bisect_right

from .plateau import ReduceLROnPlateau
from .scheduler import LRScheduler, _check_optimizer

__all__ = ["SequentialLR", "ChainedScheduler"]


def _check_schedulers(cls, optimizer, schedulers):
    if len(schedulers) < 1:
        raise ValueError(f"{cls.__name__} expects at least one scheduler, but got no scheduler.")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{cls.__name__} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{cls.__name__} does not support `ReduceLROnPlateau` scheduler as it requires "
                             "additional kwargs to be specified when calling `step`, but got one at index "
                             f"{i} in the given schedulers sequence.")
        if optimizer is not scheduler.optimizer:
            raise ValueError(f"{cls.__name__} expects all schedulers to belong to the same optimizer, but got "
                             f"scheduler {type(scheduler).__name__} at index {i} has {scheduler.optimizer}, which "
                             f"is different from {type(optimizer).__name__}.")


def _state_with_children(scheduler):
    state = {k: v for k, v in scheduler.__dict__.items() if k not in ("optimizer", "_schedulers")}
    state["_schedulers"] = [s.state_dict() for s in scheduler._schedulers]
    return state


def _load_with_children(scheduler, state_dict):
    state_dict = dict(state_dict)
    children = state_dict.pop("_schedulers")
    scheduler.__dict__.update(state_dict)
    for s, child in zip(scheduler._schedulers, children):
        s.load_state_dict(child)


class SequentialLR(LRScheduler):
    """Run `schedulers` one after another, switching at each milestone (epoch index). A scheduler
    taking over starts at its epoch 0.

    Args:
        optimizer (Optimizer): wrapped optimizer (the one of every scheduler).
        schedulers (list): the schedulers, in order.
        milestones (list of int): switching epochs, one fewer than schedulers.
        last_epoch (int, optional): Default: ``-1``.

    Examples:
        >>> warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
        >>> decay = CosineAnnealingLR(opt, T_max=95)
        >>> sched = SequentialLR(opt, [warmup, decay], milestones=[5])
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_optimizer(optimizer)
        _check_schedulers(type(self), optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be one more than the "
                             f"number of milestone points, but got number of schedulers {len(schedulers)} and the "
                             f"number of milestones to be equal to {len(milestones)}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:           # back to the initial lrs ...
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps()                     # ... and before every scheduler's initial step
        self._schedulers[0]._initial_step()
        self._last_lr = schedulers[0].get_last_lr()

    def _undo_initial_steps(self):
        for scheduler in self._schedulers:
            if isinstance(scheduler, SequentialLR):
                scheduler._undo_initial_steps()
            else:
                scheduler.last_epoch -= 1

    def step(self):
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._step_count += 1
            scheduler._set_lrs(0)                      # PyTorch's step(0), without its deprecation warning
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        return _state_with_children(self)

    def load_state_dict(self, state_dict):
        _load_with_children(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Step every scheduler in `schedulers` at each `step()` (their effects multiply).

    Args:
        schedulers (sequence): schedulers of one optimizer.
        optimizer (Optimizer, optional): Default: the schedulers' optimizer.
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler to be chained, but got no "
                             "scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers(type(self), optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def state_dict(self):
        return _state_with_children(self)

    def load_state_dict(self, state_dict):
        _load_with_children(self, state_dict)
