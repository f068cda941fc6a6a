"""tritorch.optim.lr_scheduler: PyTorch's learning-rate schedulers.

Call `scheduler.step()` after `optimizer.step()` (once per epoch, or per batch for OneCycleLR);
the other order warns as in PyTorch. `get_last_lr()` reads the current rates; `state_dict()`
holds plain values that `tritorch.save` stores.
"""
from .combine import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingLR, OneCycleLR
from .decay import ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR
from .plateau import ReduceLROnPlateau
from .restarts import CosineAnnealingWarmRestarts, CyclicLR
from .scheduler import LRScheduler

_LRScheduler = LRScheduler  # PyTorch's old name

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
           "MultiplicativeLR", "LinearLR", "ConstantLR", "OneCycleLR", "SequentialLR", "ChainedScheduler",
           "ReduceLROnPlateau", "PolynomialLR", "CyclicLR", "CosineAnnealingWarmRestarts"]
