"""tritorch.optim: PyTorch's optimizers and learning-rate schedulers.

Every optimizer's per-parameter update is one fused backend primitive
(`tritorch/_dispatch/cpu/optim.py`: sgd_step, adam_step, rmsprop_step, adagrad_step).
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
