"""Fused optimizer updates: one kernel launch updates a parameter tensor and its state in place.

SGD (momentum, dampening, Nesterov), Adam/AdamW (AMSGrad), RMSprop (centered, momentum) and
Adagrad, each in PyTorch's single-tensor algorithm with the same order of operations as the CPU
backend (``tritorch/_dispatch/cpu/optim.py``, the numpy twin and test oracle of this family), so
float32 results agree to rounding. Arrays are flat and contiguous, of one length; math runs in
float32 for float16/bfloat16/float32 (rounded back once per step) and float64 for float64.

Hyper-parameters change between steps (lr schedules, bias corrections), so they travel as the
int64 bit patterns of float64 values in arguments that Triton does not specialise on: a new lr
neither recompiles the kernel nor loses precision for float64 parameters, and no step copies
anything between host and device.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import as_dtype, is_emulated

from ._harness import prepare_launch
from ._math import div_ieee, sqrt_ieee

BLOCK = 1024
_BF16 = as_dtype("bfloat16")


@triton.jit
def _f(bits, ACC: tl.constexpr):
    """A float64 hyper-parameter passed as its int64 bit pattern, as the compute dtype."""
    return bits.to(tl.int64).to(tl.float64, bitcast=True).to(ACC)


@triton.jit
def _store(ptr, offs, x, mask, ROUND_BF16: tl.constexpr):
    if ROUND_BF16:  # round to nearest even by hand: Triton's interpreter truncates float32 -> bfloat16
        b = x.to(tl.uint32, bitcast=True)
        b = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16
        x = tl.where(x != x, x, b.to(tl.float32, bitcast=True))
    tl.store(ptr + offs, x.to(ptr.dtype.element_ty), mask=mask)


@triton.jit
def _direction(p, g_ptr, offs, mask, wd, MAXIMIZE: tl.constexpr, DECAY: tl.constexpr, ACC: tl.constexpr):
    """The gradient with maximize and L2 weight decay applied."""
    g = tl.load(g_ptr + offs, mask=mask, other=0.0).to(ACC)
    if MAXIMIZE:
        g = -g
    if DECAY:
        g = g + wd * p
    return g


@triton.jit
def _lerp(a, end, w, LERP_HIGH: tl.constexpr):
    """a.lerp(end, w) in PyTorch's two-sided form (LERP_HIGH: w >= 0.5)."""
    if LERP_HIGH:
        return end - (end - a) * (1 - w)
    else:
        return a + w * (end - a)


@triton.jit(do_not_specialize=["lr_b", "wd_b", "momentum_b", "damp_b"])
def _sgd(p_ptr, g_ptr, buf_ptr, n, lr_b, wd_b, momentum_b, damp_b,
         MAXIMIZE: tl.constexpr, DECAY: tl.constexpr, MOMENTUM: tl.constexpr, FIRST: tl.constexpr,
         NESTEROV: tl.constexpr, ACC: tl.constexpr, ROUND_BF16: tl.constexpr, BLOCK: tl.constexpr):
    """p, g, buf: [n]. buf <- momentum * buf + (1 - dampening) * g; p <- p - lr * (buf or Nesterov's g)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p = tl.load(p_ptr + offs, mask=mask, other=0.0).to(ACC)
    g = _direction(p, g_ptr, offs, mask, _f(wd_b, ACC), MAXIMIZE, DECAY, ACC)
    if MOMENTUM:
        momentum = _f(momentum_b, ACC)
        if FIRST:
            buf = g
        else:
            buf = tl.load(buf_ptr + offs, mask=mask, other=0.0).to(ACC) * momentum + _f(damp_b, ACC) * g
        _store(buf_ptr, offs, buf, mask, ROUND_BF16)
        if NESTEROV:
            g = g + momentum * buf
        else:
            g = buf
    _store(p_ptr, offs, p - _f(lr_b, ACC) * g, mask, ROUND_BF16)


@triton.jit(do_not_specialize=["decay_b", "wd_b", "beta1w_b", "beta2_b", "beta2w_b", "step_b", "bc2_b", "eps_b"])
def _adam(p_ptr, g_ptr, m_ptr, v_ptr, vmax_ptr, n, decay_b, wd_b, beta1w_b, beta2_b, beta2w_b, step_b, bc2_b, eps_b,
          MAXIMIZE: tl.constexpr, DECAY: tl.constexpr, DECOUPLED: tl.constexpr, AMSGRAD: tl.constexpr,
          LERP_HIGH: tl.constexpr, KIND: tl.constexpr, ACC: tl.constexpr, ROUND_BF16: tl.constexpr,
          BLOCK: tl.constexpr):
    """p, g, m, v, vmax: [n]. Adam (L2 decay in g) or AdamW (DECOUPLED: p *= 1 - lr * wd first)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p = tl.load(p_ptr + offs, mask=mask, other=0.0).to(ACC)
    if DECOUPLED:
        p = p * _f(decay_b, ACC)
    g = _direction(p, g_ptr, offs, mask, _f(wd_b, ACC), MAXIMIZE, DECAY, ACC)
    m = _lerp(tl.load(m_ptr + offs, mask=mask, other=0.0).to(ACC), g, _f(beta1w_b, ACC), LERP_HIGH)
    v = tl.load(v_ptr + offs, mask=mask, other=0.0).to(ACC) * _f(beta2_b, ACC) + _f(beta2w_b, ACC) * g * g
    _store(m_ptr, offs, m, mask, ROUND_BF16)
    _store(v_ptr, offs, v, mask, ROUND_BF16)
    if AMSGRAD:
        v = tl.maximum(tl.load(vmax_ptr + offs, mask=mask, other=0.0).to(ACC), v)
        _store(vmax_ptr, offs, v, mask, ROUND_BF16)
    denom = div_ieee(sqrt_ieee(v, KIND), _f(bc2_b, ACC), KIND) + _f(eps_b, ACC)
    _store(p_ptr, offs, p + div_ieee(_f(step_b, ACC) * m, denom, KIND), mask, ROUND_BF16)


@triton.jit(do_not_specialize=["lr_b", "alpha_b", "alphaw_b", "eps_b", "wd_b", "momentum_b"])
def _rmsprop(p_ptr, g_ptr, sq_ptr, ga_ptr, buf_ptr, n, lr_b, alpha_b, alphaw_b, eps_b, wd_b, momentum_b,
             MAXIMIZE: tl.constexpr, DECAY: tl.constexpr, CENTERED: tl.constexpr, MOMENTUM: tl.constexpr,
             LERP_HIGH: tl.constexpr, KIND: tl.constexpr, ACC: tl.constexpr, ROUND_BF16: tl.constexpr,
             BLOCK: tl.constexpr):
    """p, g, square_avg, grad_avg, momentum_buffer: [n]."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p = tl.load(p_ptr + offs, mask=mask, other=0.0).to(ACC)
    g = _direction(p, g_ptr, offs, mask, _f(wd_b, ACC), MAXIMIZE, DECAY, ACC)
    sq = tl.load(sq_ptr + offs, mask=mask, other=0.0).to(ACC) * _f(alpha_b, ACC) + _f(alphaw_b, ACC) * g * g
    _store(sq_ptr, offs, sq, mask, ROUND_BF16)
    if CENTERED:
        ga = _lerp(tl.load(ga_ptr + offs, mask=mask, other=0.0).to(ACC), g, _f(alphaw_b, ACC), LERP_HIGH)
        _store(ga_ptr, offs, ga, mask, ROUND_BF16)
        sq = sq - ga * ga
    avg = sqrt_ieee(sq, KIND) + _f(eps_b, ACC)
    if MOMENTUM:
        buf = tl.load(buf_ptr + offs, mask=mask, other=0.0).to(ACC) * _f(momentum_b, ACC) + div_ieee(g, avg, KIND)
        _store(buf_ptr, offs, buf, mask, ROUND_BF16)
        p = p - _f(lr_b, ACC) * buf
    else:
        p = p + div_ieee(-_f(lr_b, ACC) * g, avg, KIND)
    _store(p_ptr, offs, p, mask, ROUND_BF16)


@triton.jit(do_not_specialize=["clr_b", "wd_b", "eps_b"])
def _adagrad(p_ptr, g_ptr, s_ptr, n, clr_b, wd_b, eps_b, MAXIMIZE: tl.constexpr, DECAY: tl.constexpr,
             KIND: tl.constexpr, ACC: tl.constexpr, ROUND_BF16: tl.constexpr, BLOCK: tl.constexpr):
    """p, g, state_sum: [n]. s += g^2; p -= clr * g / (sqrt(s) + eps)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p = tl.load(p_ptr + offs, mask=mask, other=0.0).to(ACC)
    g = _direction(p, g_ptr, offs, mask, _f(wd_b, ACC), MAXIMIZE, DECAY, ACC)
    s = tl.load(s_ptr + offs, mask=mask, other=0.0).to(ACC) + g * g
    _store(s_ptr, offs, s, mask, ROUND_BF16)
    _store(p_ptr, offs, p + div_ieee(-_f(clr_b, ACC) * g, sqrt_ieee(s, KIND) + _f(eps_b, ACC), KIND),
           mask, ROUND_BF16)


# -- launchers -------------------------------------------------------------------------------------
def _bits(x):
    return int(np.float64(x).view(np.int64))


def _launch(kernel, param, arrays, scalars, **flags):
    """kernel over the flat contiguous arrays (param first; None stands for an absent state)."""
    n = param.numel()
    if n == 0:
        return
    dtype = param.dtype
    kind = 2 if dtype == np.float64 else 1
    prepare_launch()
    with np.errstate(all="ignore"):
        kernel[(triton.cdiv(n, BLOCK),)](*[param if a is None else a for a in arrays], n, *map(_bits, scalars),
                                         **flags, ACC=tl.float64 if kind == 2 else tl.float32,
                                         ROUND_BF16=is_emulated() and dtype == _BF16, BLOCK=BLOCK,
                                         **({"KIND": kind} if kernel is not _sgd else {}))


def sgd(param, grad, buf, lr, weight_decay, momentum, dampening, nesterov, maximize, first_step):
    """SGD in place on flat contiguous DeviceArrays (buf None without momentum)."""
    _launch(_sgd, param, [param, grad, buf], [lr, weight_decay, momentum, 1 - dampening],
            MAXIMIZE=bool(maximize), DECAY=weight_decay != 0, MOMENTUM=momentum != 0, FIRST=bool(first_step),
            NESTEROV=bool(nesterov))


def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, amsgrad,
         maximize, decoupled):
    """Adam/AdamW in place; `step` is the step count after this update (bias corrections)."""
    bc1, bc2_sqrt = 1 - beta1 ** step, (1 - beta2 ** step) ** 0.5
    _launch(_adam, param, [param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq],
            [1 - lr * weight_decay, weight_decay, 1 - beta1, beta2, 1 - beta2, -lr / bc1, bc2_sqrt, eps],
            MAXIMIZE=bool(maximize), DECAY=bool(weight_decay) and not decoupled, DECOUPLED=bool(decoupled),
            AMSGRAD=bool(amsgrad), LERP_HIGH=1 - beta1 >= 0.5)


def rmsprop(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay, momentum, centered,
            maximize):
    """RMSprop in place (grad_avg None unless centered; momentum_buffer None unless momentum > 0)."""
    _launch(_rmsprop, param, [param, grad, square_avg, grad_avg, momentum_buffer],
            [lr, alpha, 1 - alpha, eps, weight_decay, momentum], MAXIMIZE=bool(maximize), DECAY=weight_decay != 0,
            CENTERED=bool(centered), MOMENTUM=momentum > 0, LERP_HIGH=1 - alpha >= 0.5)


def adagrad(param, grad, state_sum, step, lr, lr_decay, weight_decay, eps, maximize):
    """Adagrad in place; the learning rate decays as lr / (1 + (step - 1) * lr_decay)."""
    _launch(_adagrad, param, [param, grad, state_sum], [lr / (1 + (step - 1) * lr_decay), weight_decay, eps],
            MAXIMIZE=bool(maximize), DECAY=weight_decay != 0)
