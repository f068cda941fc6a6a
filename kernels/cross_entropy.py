"""Cross-entropy from logits, forward and backward, without an (N, V) float32 temporary.

``loss_i = lse_i - (1 - eps) * x[i, t_i] - eps * mean_j x[i, j]`` with ``lse_i = log sum_j exp x[i, j]``
and ``eps = label_smoothing`` (PyTorch's definition: the smoothed target puts ``eps / V`` on every
class). Rows whose target is ``ignore_index`` have loss 0 and gradient 0; ``reduction="mean"``
divides by the number of the other rows (NaN when there are none, as PyTorch); a target outside
``[0, V)`` that is not ``ignore_index`` gives a NaN loss and NaN gradient row (PyTorch raises or
asserts on the device; here no host sync is needed to notice it).

* Forward: one program per row walks the vocabulary ``BLOCK_V`` columns at a time keeping a
  per-lane running max and rescaled sum (online log-sum-exp), the sum of the logits and the
  target logit: one read of the logits, float32 math, any V (128k and beyond). It saves the
  row LSE (float32, N) for the backward; a second one-program kernel reduces the N losses in a
  fixed order (deterministic).
* Backward: ``dlogits = g_i * (softmax(x_i) - (1 - eps) * onehot(t_i) - eps / V)`` with ``g_i`` the
  incoming gradient (divided by the number of counted rows for "mean"), one read and one write
  of the logits. ``inplace_backward=True`` writes it over the logits buffer, so a language
  model's largest temporary is never allocated twice.
* ``linear_cross_entropy(hidden, weight, target)``: the loss of ``hidden @ weight.T`` and its
  gradients, computed chunk of rows by chunk of rows so that only a (chunk, V) block of logits
  ever exists (the forward computes the gradients too, as they need the same logits).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import empty, zeros

from ._harness import (bucket, check_float, check_out, device_array, launch_tuned, prepare_launch,
                       split_config)
from .matmul import matmul

REDUCTIONS = ("none", "mean", "sum")
MAX_BLOCK_V = 4096


# -- autotuning search space ---------------------------------------------------------------------
def cross_entropy_configs(n_classes):
    """Candidate configs (dicts) for a vocabulary of ``n_classes``."""
    top = min(triton.next_power_of_2(n_classes), 16384)
    blocks = [b for b in (1024, 2048, 4096, 8192, 16384) if b <= top] or [top]
    return [dict(BLOCK_V=b, num_warps=w) for b in blocks for w in (4, 8, 16) if w * 32 <= max(b, 128)]


def cross_entropy_key(n_classes, dtype):
    """The autotune cache key (forward and backward kernels): logits dtype and vocabulary bucket."""
    return f"{np.dtype(dtype)}|V{bucket(n_classes)}"


def cross_entropy_default_config(n_classes):
    """The config used when the cache has none."""
    block = min(triton.next_power_of_2(max(n_classes, 1)), MAX_BLOCK_V)
    return dict(BLOCK_V=block, num_warps=max(1, min(8, block // 256)))


# -- kernels ---------------------------------------------------------------------------------------
@triton.jit
def _target(target_ptr, row, stride_t, V, ignore_index):
    """(t, counted, in_range) for one row: counted unless t == ignore_index."""
    t = tl.load(target_ptr + row * stride_t).to(tl.int64)
    return t, t != ignore_index, (t >= 0) & (t < V)


@triton.jit
def _ce_fwd(x_ptr, target_ptr, loss_ptr, lse_ptr, V, stride_xr, stride_xv, stride_t, ignore_index, smoothing,
            BLOCK_V: tl.constexpr):
    """x_ptr: [N, V] logits (strided); target_ptr: [N] integers; loss_ptr, lse_ptr: [N] float32.
    One row per program."""
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * stride_xr
    lane_max = tl.full((BLOCK_V,), float("-inf"), tl.float32)
    lane_sum = tl.zeros((BLOCK_V,), tl.float32)
    lane_total = tl.zeros((BLOCK_V,), tl.float32)
    for start in range(0, V, BLOCK_V):
        cols = start + tl.arange(0, BLOCK_V)
        x = tl.load(x_row + cols.to(tl.int64) * stride_xv, mask=cols < V, other=float("-inf")).to(tl.float32)
        new_max = tl.maximum(lane_max, x)
        safe_max = tl.where(new_max == float("-inf"), 0.0, new_max)  # lanes that saw no column yet
        lane_sum = lane_sum * tl.exp(lane_max - safe_max) + tl.exp(x - safe_max)
        lane_max = new_max
        lane_total += tl.where(cols < V, x, 0.0)
    row_max = tl.max(lane_max, axis=0)
    lse = row_max + tl.log(tl.sum(lane_sum * tl.exp(lane_max - row_max), axis=0))
    t, counted, in_range = _target(target_ptr, row, stride_t, V, ignore_index)
    x_t = tl.load(x_row + t * stride_xv, mask=counted & in_range, other=0.0).to(tl.float32)
    # the smoothing term only where eps > 0: 0 * (a -inf logit's sum) would be NaN (PyTorch gives lse - x_t)
    smooth = tl.where(smoothing != 0.0, smoothing * tl.sum(lane_total, axis=0) / V, 0.0)
    loss = lse - (1.0 - smoothing) * x_t - smooth
    loss = tl.where(counted, tl.where(in_range, loss, float("nan")), 0.0)
    tl.store(loss_ptr + row, loss)
    tl.store(lse_ptr + row, lse)


@triton.jit
def _ce_reduce(loss_ptr, target_ptr, out_ptr, count_ptr, N, stride_t, ignore_index,
               HAS_LOSS: tl.constexpr, MEAN: tl.constexpr, BLOCK: tl.constexpr):
    """count_ptr[0] = number of counted rows (float32) and, with HAS_LOSS, out_ptr[0] = sum(loss)
    (/ count for MEAN). loss_ptr: [N] float32; one program, a fixed summation order."""
    acc = tl.zeros((BLOCK,), tl.float32)
    count = tl.zeros((BLOCK,), tl.float32)
    for start in range(0, N, BLOCK):
        rows = start + tl.arange(0, BLOCK)
        t = tl.load(target_ptr + rows.to(tl.int64) * stride_t, mask=rows < N, other=ignore_index)
        count += tl.where(t != ignore_index, 1.0, 0.0)
        if HAS_LOSS:
            acc += tl.load(loss_ptr + rows, mask=rows < N, other=0.0)
    total, n = tl.sum(acc, axis=0), tl.sum(count, axis=0)
    tl.store(count_ptr, n)
    if HAS_LOSS:
        tl.store(out_ptr, (total / n if MEAN else total).to(out_ptr.dtype.element_ty))


@triton.jit
def _ce_bwd(x_ptr, target_ptr, lse_ptr, grad_ptr, count_ptr, dx_ptr, V,
            stride_xr, stride_xv, stride_t, stride_g, stride_dr, stride_dv, ignore_index, smoothing,
            MEAN: tl.constexpr, BLOCK_V: tl.constexpr):
    """dx_ptr[row] = g * (softmax - (1 - eps) onehot - eps / V); dx_ptr may be x_ptr (in place: each
    element is read before it is written, by the same program). grad_ptr: scalar (stride_g 0) or
    [N]; count_ptr: float32 scalar, the divisor when MEAN. One row per program."""
    row = tl.program_id(0).to(tl.int64)
    t, counted, in_range = _target(target_ptr, row, stride_t, V, ignore_index)
    g = tl.load(grad_ptr + row * stride_g).to(tl.float32)
    if MEAN:
        g = g / tl.load(count_ptr)
    g = tl.where(counted, tl.where(in_range, g, float("nan")), 0.0)
    lse = tl.load(lse_ptr + row)
    for start in range(0, V, BLOCK_V):
        cols = start + tl.arange(0, BLOCK_V)
        wide = cols.to(tl.int64)  # a column-strided (transposed) view: V * stride passes 2^31
        x = tl.load(x_ptr + row * stride_xr + wide * stride_xv, mask=cols < V, other=0.0).to(tl.float32)
        d = tl.exp(x - lse) - smoothing / V - tl.where(cols == t, 1.0 - smoothing, 0.0)
        tl.store(dx_ptr + row * stride_dr + wide * stride_dv, (g * d).to(dx_ptr.dtype.element_ty), mask=cols < V)


@triton.jit
def _accumulate(acc_ptr, x_ptr, n, BLOCK: tl.constexpr):
    """acc += x elementwise; acc_ptr float32 [n], x_ptr [n] contiguous."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    acc = tl.load(acc_ptr + offs, mask=mask, other=0.0)
    tl.store(acc_ptr + offs, acc + tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32), mask=mask)


# -- launchers -------------------------------------------------------------------------------------
def _check(logits, target, label_smoothing, reduction):
    logits = device_array(logits, "logits")
    check_float(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (N, C), got shape {logits.shape}")
    return logits, _check_target(target, logits.shape, label_smoothing, reduction)


def _check_target(target, logits_shape, label_smoothing, reduction):
    target = device_array(target, "target")
    if target.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class indices, got {target.dtype} (shape {target.shape})")
    if target.shape != tuple(logits_shape[:1]):
        raise ValueError(f"target must have shape ({logits_shape[0]},) for logits of shape {tuple(logits_shape)}, "
                         f"got {target.shape}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    return target


def _run(config, V, dtype, launch):
    """``launch(constexprs, options)`` with ``config``, else the tuned one (the default when it fails), else
    the default (``_cache.launch_tuned``)."""
    default = cross_entropy_default_config(V)
    return launch_tuned("cross_entropy", cross_entropy_key(V, dtype), default, lambda c: launch(*split_config(c)),
                        config)


def _forward_rows(logits, target, ignore_index, smoothing, losses, lse, config):
    """Per-row float32 losses and LSEs into ``losses`` and ``lse`` (N,)."""
    N, V = logits.shape
    if N:
        prepare_launch()
        _run(config, V, logits.dtype, lambda constexprs, options: _ce_fwd[(N,)](
            logits, target, losses, lse, V, *logits.strides, target.strides[0], int(ignore_index), float(smoothing),
            **constexprs, **options))


def _count(target, ignore_index):
    """float32 (1,) DeviceArray: the number of rows whose target is not ``ignore_index``."""
    count = empty((1,), np.float32)
    prepare_launch()
    _ce_reduce[(1,)](count, target, count, count, target.shape[0], target.strides[0], int(ignore_index),
                     HAS_LOSS=False, MEAN=False, BLOCK=1024)
    return count


def _reduce(losses, target, ignore_index, reduction, dtype):
    if reduction == "none":
        return empty(losses.shape, dtype).copy_(losses)
    out, count = empty((1,), dtype), empty((1,), np.float32)
    prepare_launch()
    _ce_reduce[(1,)](losses, target, out, count, target.shape[0], target.strides[0], int(ignore_index),
                     HAS_LOSS=True, MEAN=reduction == "mean", BLOCK=1024)
    return out.reshape(())


def cross_entropy(logits, target, ignore_index=-100, label_smoothing=0.0, reduction="mean", *, return_lse=False,
                  config=None):
    """Cross-entropy between ``logits`` and class indices ``target``, PyTorch's ``F.cross_entropy``.

    Args:
        logits (DeviceArray or DLPack/CUDA-array-interface array): ``(N, C)``, float32/float16/bfloat16,
            any strides.
        target: ``(N,)`` integer class indices in ``[0, C)`` or ``ignore_index``.
        ignore_index (int, optional): targets that count for nothing. Default: ``-100``.
        label_smoothing (float, optional): in ``[0, 1]``. Default: ``0.0``.
        reduction (str, optional): ``"none"`` | ``"mean"`` | ``"sum"``. Default: ``"mean"``.
        return_lse (bool, optional): also return the float32 ``(N,)`` row log-sum-exp (the backward's input).
        config (dict, optional): ``{"BLOCK_V": ..., "num_warps": ...}``.

    Returns:
        The loss in logits' dtype: 0-d for "mean"/"sum", ``(N,)`` for "none" (and the LSE).
        Numpy inputs run the float64 twin.
    """
    if isinstance(logits, np.ndarray):
        loss = cross_entropy_reference(logits, target, ignore_index, label_smoothing, reduction)
        return np.asarray(loss).astype(logits.dtype)
    logits, target = _check(logits, target, label_smoothing, reduction)
    N = logits.shape[0]
    losses, lse = empty((N,), np.float32), empty((N,), np.float32)
    _forward_rows(logits, target, ignore_index, label_smoothing, losses, lse, config)
    loss = _reduce(losses, target, ignore_index, reduction, logits.dtype)
    return (loss, lse) if return_lse else loss


def cross_entropy_backward(grad_loss, logits, target, lse, ignore_index=-100, label_smoothing=0.0,
                           reduction="mean", *, inplace_backward=False, out=None, config=None):
    """Gradient of ``cross_entropy`` with respect to the logits.

    Args:
        grad_loss: the loss's gradient: a scalar (0-d or 1-element DeviceArray, or a Python
            number) for "mean"/"sum", ``(N,)`` for "none".
        logits, target, ignore_index, label_smoothing, reduction: the forward's arguments.
        lse: the forward's ``return_lse`` output, float32 ``(N,)``.
        inplace_backward (bool, optional): write the gradient over ``logits`` (which the caller
            must not need again) and return it. Default: ``False``.
        out (DeviceArray, optional): where to write instead, logits' shape and dtype, any strides.
        config (dict, optional): as in ``cross_entropy``.

    Returns:
        ``dlogits``, logits' shape and dtype.
    """
    logits, target = _check(logits, target, label_smoothing, reduction)
    N, V = logits.shape
    lse = device_array(lse, "lse")
    if lse.shape != (N,) or lse.dtype != np.float32:
        raise ValueError(f"lse must be float32 of shape ({N},), got {lse.dtype} {lse.shape}")
    if np.isscalar(grad_loss):
        grad_loss = empty((1,), np.float32).fill_(float(grad_loss))
    grad_loss = device_array(grad_loss, "grad_loss")
    if grad_loss.shape not in (((N,),) if reduction == "none" else ((), (1,))):
        expected = f"({N},)" if reduction == "none" else "() or (1,)"
        raise ValueError(f"grad_loss must have shape {expected} for reduction={reduction!r}, got {grad_loss.shape}")
    if inplace_backward:
        dx = logits
    else:
        dx = empty(logits.shape, logits.dtype) if out is None else check_out(out, logits.shape, logits.dtype)
    if N and V:
        count = _count(target, ignore_index) if reduction == "mean" else lse
        _run(config, V, logits.dtype, lambda constexprs, options: _ce_bwd[(N,)](
            logits, target, lse, grad_loss, count, dx, V, *logits.strides, target.strides[0],
            grad_loss.strides[0] if reduction == "none" else 0, *dx.strides, int(ignore_index),
            float(label_smoothing), MEAN=reduction == "mean", **constexprs, **options))
    return dx


def linear_cross_entropy(hidden, weight, target, ignore_index=-100, label_smoothing=0.0, reduction="mean", *,
                         chunk_size=1024, compute_grad=True, config=None):
    """``cross_entropy(hidden @ weight.T, target)`` and its gradients, never holding all the logits.

    Rows are processed ``chunk_size`` at a time: the chunk's logits (``(chunk, V)``, hidden's dtype)
    come from ``matmul``, the cross-entropy kernels turn them into their gradient in place, and
    two more matmuls give the chunk's rows of ``grad_hidden`` and its contribution to
    ``grad_weight`` (accumulated in float32).

    Args:
        hidden: ``(N, H)`` float32/float16/bfloat16. weight: ``(V, H)``, hidden's dtype. target: ``(N,)``.
        ignore_index, label_smoothing, reduction: as in ``cross_entropy``; gradients need "mean" or "sum".
        chunk_size (int, optional): rows per chunk. Default: ``1024``.
        compute_grad (bool, optional): also compute the gradients. Default: ``True``.
        config (dict, optional): the cross-entropy kernels' config.

    Returns:
        ``(loss, grad_hidden, grad_weight)``: the loss as ``cross_entropy`` returns it; the gradients of
        that loss (for an incoming gradient of 1: multiply by the real one) shaped and typed like
        hidden and weight, or None without ``compute_grad``.
    """
    hidden, weight = device_array(hidden, "hidden"), device_array(weight, "weight")
    check_float(hidden, "hidden")
    if weight.dtype != hidden.dtype or weight.ndim != 2 or hidden.ndim != 2 or weight.shape[1] != hidden.shape[1]:
        raise ValueError(f"hidden (N, H) and weight (V, H) must be 2-D of one dtype and H, got hidden "
                         f"{hidden.dtype} {hidden.shape} and weight {weight.dtype} {weight.shape}")
    if compute_grad and reduction == "none":
        raise ValueError("linear_cross_entropy computes gradients for reduction 'mean' or 'sum', not 'none'")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    (N, H), V = hidden.shape, weight.shape[0]
    target = _check_target(target, (N, V), label_smoothing, reduction)
    losses = empty((N,), np.float32)
    grad_hidden = empty(hidden.shape, hidden.dtype) if compute_grad else None
    grad_weight = zeros(weight.shape, np.float32) if compute_grad else None
    count = _count(target, ignore_index) if compute_grad and reduction == "mean" else None
    one = empty((1,), np.float32).fill_(1.0)
    for start in range(0, N, chunk_size):
        stop = min(N, start + chunk_size)
        h, t = hidden[start:stop], target[start:stop]
        logits = matmul(h, weight.T)
        lse = empty((stop - start,), np.float32)
        _forward_rows(logits, t, ignore_index, label_smoothing, losses[start:stop], lse, config)
        if not compute_grad:
            continue
        _run(config, V, logits.dtype, lambda constexprs, options: _ce_bwd[(stop - start,)](
            logits, t, lse, one, one if count is None else count, logits, V, *logits.strides, t.strides[0], 0,
            *logits.strides, int(ignore_index), float(label_smoothing), MEAN=reduction == "mean",
            **constexprs, **options))
        matmul(logits, weight, out=grad_hidden[start:stop])
        contribution = matmul(logits.T, h)
        _accumulate[(triton.cdiv(V * H, 1024),)](grad_weight, contribution, V * H, BLOCK=1024)
    loss = _reduce(losses, target, ignore_index, reduction, hidden.dtype)
    if compute_grad and grad_weight.dtype != weight.dtype:
        grad_weight = empty(weight.shape, weight.dtype).copy_(grad_weight)
    return loss, grad_hidden, grad_weight


# -- numpy twins -----------------------------------------------------------------------------------
def _log_softmax(logits):
    x = np.asarray(logits, np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def _smoothed_targets(target, n_classes, ignore_index, smoothing):
    """float64 (N, C) smoothed one-hot rows (0 for ignored rows, NaN for out-of-range targets), and counted."""
    target = np.asarray(target).astype(np.int64)
    counted = target != ignore_index
    in_range = (target >= 0) & (target < n_classes)
    onehot = np.zeros((target.shape[0], n_classes))
    rows = np.flatnonzero(counted & in_range)
    onehot[rows, target[rows]] = 1.0
    q = (1.0 - smoothing) * onehot + smoothing / n_classes
    q[~counted] = 0.0
    q[counted & ~in_range] = np.nan
    return q, counted


def cross_entropy_reference(logits, target, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
    """``cross_entropy`` in float64 (numpy)."""
    q, counted = _smoothed_targets(target, np.shape(logits)[1], ignore_index, label_smoothing)
    with np.errstate(invalid="ignore"):
        logp = _log_softmax(logits)
        losses = -np.where(q == 0, 0.0, q * logp).sum(axis=-1)  # a -inf logit off the target adds 0, not NaN
    if reduction == "none":
        return losses
    with np.errstate(invalid="ignore"):
        return losses.sum() / counted.sum() if reduction == "mean" else losses.sum()


def cross_entropy_backward_reference(grad_loss, logits, target, ignore_index=-100, label_smoothing=0.0,
                                     reduction="mean"):
    """d(loss)/d(logits) in float64 (numpy), scaled by ``grad_loss``."""
    q, counted = _smoothed_targets(target, np.shape(logits)[1], ignore_index, label_smoothing)
    g = np.asarray(grad_loss, np.float64)
    g = g[:, None] if reduction == "none" else g / (counted.sum() if reduction == "mean" else 1.0)
    return g * (np.exp(_log_softmax(logits)) * counted[:, None] - q)


def linear_cross_entropy_reference(hidden, weight, target, ignore_index=-100, label_smoothing=0.0,
                                   reduction="mean"):
    """``(loss, grad_hidden, grad_weight)`` of ``linear_cross_entropy`` in float64 (numpy)."""
    h, w = np.asarray(hidden, np.float64), np.asarray(weight, np.float64)
    logits = h @ w.T
    loss = cross_entropy_reference(logits, target, ignore_index, label_smoothing, reduction)
    d = cross_entropy_backward_reference(1.0, logits, target, ignore_index, label_smoothing, reduction)
    return loss, d @ w, d.T @ h
