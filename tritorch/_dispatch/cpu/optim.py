"""Fused optimizer updates on numpy arrays: one function per optimizer, updating the parameter and
its state arrays in place.

Each follows the single-tensor algorithm of PyTorch's documentation in the same order of
operations (so float32 results agree to rounding); the cuda backend maps each name to one Triton
kernel. All arrays of one call share a shape. float16/bfloat16 arrays are computed in float32 and
rounded back once per call; float32 and float64 compute in their own precision. `step` is the
step count after this update (a Python number); `lr` and the hyper-parameters are Python floats.
"""
import ml_dtypes
import numpy as np

from . import jit

__all__ = ["sgd_step", "adam_step", "rmsprop_step", "adagrad_step"]

_LOW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))


def _up(a):
    """The array to compute on: a float32 copy of a 16-bit array, else the array itself."""
    return a.astype(np.float32) if a is not None and a.dtype in _LOW else a


def _store(dst, src):
    if dst is not None and src is not dst:
        dst[...] = src


def _lerp_(a, end, weight):
    """a.lerp_(end, weight) in PyTorch's two-sided form."""
    if weight < 0.5:
        a += weight * (end - a)
    else:
        a[...] = end - (end - a) * (1 - weight)


_JIT_MIN_SIZE = 65536  # smaller arrays stay in cache, where numpy's passes cost little (and numba is not imported)


def _flat_for_jit(*arrays):
    """The arrays as flat views when jit.py's one-pass updates can take them: float32/float64 of one
    dtype, C-contiguous, large, numba there; else None. (None entries stay None.)"""
    first = arrays[0]
    if first.size < _JIT_MIN_SIZE or first.dtype not in (np.float32, np.float64):
        return None
    for a in arrays:
        if a is not None and (a.dtype != first.dtype or not a.flags.c_contiguous or a.shape != first.shape):
            return None
    if not jit.available():
        return None
    return [None if a is None else a.reshape(-1) for a in arrays]


def _direction(param, grad, weight_decay, maximize):
    """The gradient with maximize and L2 weight decay applied: a new array, or `grad` itself when
    neither applies (the steps only read it)."""
    if weight_decay == 0 and not maximize:
        return grad
    g = -grad if maximize else grad.copy()
    if weight_decay != 0:
        g += weight_decay * param
    return g


def sgd_step(param, grad, momentum_buffer, lr, weight_decay, momentum, dampening, nesterov, maximize,
             first_step):
    """SGD with momentum. `momentum_buffer` ([*] like param, or None when momentum == 0) is set
    to the gradient when `first_step`, else decayed by `momentum` and fed `(1 - dampening) * g`."""
    flat = _flat_for_jit(param, grad, momentum_buffer)
    if flat is not None:
        return jit.sgd_step(*flat, lr, weight_decay, momentum, dampening, nesterov, maximize, first_step)
    p, buf = _up(param), _up(momentum_buffer)
    g = _direction(p, _up(grad), weight_decay, maximize)
    if momentum != 0:
        if first_step:
            buf[...] = g
        else:
            buf *= momentum
            buf += (1 - dampening) * g if dampening else g
        g = g + momentum * buf if nesterov else buf
    p -= lr * g
    _store(param, p)
    _store(momentum_buffer, buf)


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay,
              amsgrad, maximize, decoupled):
    """Adam (decoupled=False: L2 decay added to the gradient) or AdamW (decoupled=True: the
    parameter shrinks by `1 - lr * weight_decay` first). `max_exp_avg_sq` is None unless amsgrad."""
    flat = _flat_for_jit(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq if amsgrad else None)
    if flat is not None:
        return jit.adam_step(*flat, step, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled)
    p, m, v, vmax = _up(param), _up(exp_avg), _up(exp_avg_sq), _up(max_exp_avg_sq)
    if decoupled:
        p *= 1 - lr * weight_decay
        g = _direction(p, _up(grad), 0, maximize)
    else:
        g = _direction(p, _up(grad), weight_decay, maximize)
    _lerp_(m, g, 1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g
    bias_correction1 = 1 - beta1 ** step
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    if amsgrad:
        np.maximum(vmax, v, out=vmax)
        denom = np.sqrt(vmax) / bias_correction2_sqrt + eps
    else:
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
    p += (-lr / bias_correction1) * m / denom
    for dst, src in ((param, p), (exp_avg, m), (exp_avg_sq, v), (max_exp_avg_sq, vmax)):
        _store(dst, src)


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay, momentum,
                 centered, maximize):
    """RMSprop. `grad_avg` is None unless centered; `momentum_buffer` is None unless momentum > 0."""
    p, sq, ga, buf = _up(param), _up(square_avg), _up(grad_avg), _up(momentum_buffer)
    g = _direction(p, _up(grad), weight_decay, maximize)
    sq *= alpha
    sq += (1 - alpha) * g * g
    if centered:
        _lerp_(ga, g, 1 - alpha)
        avg = np.sqrt(sq - ga * ga) + eps
    else:
        avg = np.sqrt(sq) + eps
    if momentum > 0:
        buf *= momentum
        buf += g / avg
        p -= lr * buf
    else:
        p += -lr * g / avg
    for dst, src in ((param, p), (square_avg, sq), (grad_avg, ga), (momentum_buffer, buf)):
        _store(dst, src)


def adagrad_step(param, grad, state_sum, step, lr, lr_decay, weight_decay, eps, maximize):
    """Adagrad: the learning rate decays as lr / (1 + (step - 1) * lr_decay)."""
    p, s = _up(param), _up(state_sum)
    g = _direction(p, _up(grad), weight_decay, maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    s += g * g
    p += -clr * g / (np.sqrt(s) + eps)
    _store(param, p)
    _store(state_sum, s)
