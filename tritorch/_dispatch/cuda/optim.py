"""Fused optimizer updates on the device: the twins of `_dispatch/cpu/optim.py`, one kernel launch
per parameter tensor (`kernels.optimizers`), updating the parameter and its state in place.

The kernels walk flat contiguous arrays. A non-contiguous parameter or state (rare: a view handed
to the optimizer) is updated through a contiguous copy that is written back afterwards.
"""
from tritorch.kernels import optimizers as _k

from .elementwise import copy_

__all__ = ["sgd_step", "adam_step", "rmsprop_step", "adagrad_step"]


def _run(fn, arrays, *args):
    """fn(*flat arrays, *args); arrays[1] is the gradient (read only), None entries pass through."""
    flat, write_back = [], []
    for i, a in enumerate(arrays):
        if a is None:
            flat.append(None)
        elif a.is_contiguous():
            flat.append(a.reshape(-1))
        else:
            c = a.contiguous()
            flat.append(c.reshape(-1))
            if i != 1:
                write_back.append((a, c))
    fn(*flat, *args)
    for a, c in write_back:
        copy_(a, c)


def sgd_step(param, grad, momentum_buffer, lr, weight_decay, momentum, dampening, nesterov, maximize,
             first_step):
    """SGD with momentum; see the CPU twin."""
    _run(_k.sgd, [param, grad, momentum_buffer], lr, weight_decay, momentum, dampening, nesterov, maximize,
         first_step)


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay,
              amsgrad, maximize, decoupled):
    """Adam (decoupled=False) or AdamW (decoupled=True); see the CPU twin."""
    _run(_k.adam, [param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq], step, lr, beta1, beta2, eps, weight_decay,
         amsgrad, maximize, decoupled)


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay, momentum,
                 centered, maximize):
    """RMSprop; see the CPU twin."""
    _run(_k.rmsprop, [param, grad, square_avg, grad_avg, momentum_buffer], lr, alpha, eps, weight_decay, momentum,
         centered, maximize)


def adagrad_step(param, grad, state_sum, step, lr, lr_decay, weight_decay, eps, maximize):
    """Adagrad; see the CPU twin."""
    _run(_k.adagrad, [param, grad, state_sum], step, lr, lr_decay, weight_decay, eps, maximize)
