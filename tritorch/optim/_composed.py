"""Helpers for the optimizers written as tensor ops (no fused primitive): argument checks and the
gradient after `maximize` and L2 weight decay, as PyTorch's single-tensor loops compute them."""
from .. import _dtype
from .._ops.creation import tensor

__all__ = []


def check_range(name, value, low=0.0):
    if not low <= value:
        raise ValueError(f"Invalid {name}: {value}")


def check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def step_tensor(value=0.0):
    """A 0-d float32 CPU step counter, as PyTorch keeps it."""
    return tensor(float(value), dtype=_dtype.float32)


def grad_of(p, group, decay=True):
    """p.grad negated under maximize, plus weight_decay * p when `decay` (L2, coupled)."""
    g = p.grad
    if group.get("maximize", False):
        g = -g
    wd = group.get("weight_decay", 0)
    if decay and wd != 0:
        g = g + p * wd
    return g
