"""tritorch.optim: PyTorch's optimizers and learning-rate schedulers.

SGD, Adam, AdamW, RMSprop and Adagrad update each parameter with one fused backend primitive
(`tritorch/_dispatch/cpu/optim.py`: sgd_step, adam_step, rmsprop_step, adagrad_step); Adadelta,
Adamax, NAdam, RAdam, ASGD, Rprop and LBFGS are written as tensor ops.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
           "ASGD", "Rprop", "LBFGS", "SparseAdam", "lr_scheduler"]
