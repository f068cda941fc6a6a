"""Loss functions, all with `reduction` in {'none', 'mean', 'sum'} through one `_reduce`.

cross_entropy with class indices is one fused primitive (the backend's `cross_entropy`:
log-sum-exp and the loss in one stable pass); the others are compositions of Tensor ops.
"""
import warnings

import tritorch
from ...autograd import grad_mode
from ...autograd.function import Function
from ...amp.autocast import autocast_args
from ..._ops._util import common_device, data_on, wrap

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss"]


def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated size_average/reduce arguments, mapped onto `reduction`."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_same_size(input, target, name):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)^2, broadcast (with a warning when the shapes differ)."""
    input, target = autocast_args("mse_loss", input, target)
    _check_same_size(input, target, "mse_loss")
    loss = (input - target) ** 2
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|."""
    input, target = autocast_args("l1_loss", input, target)
    _check_same_size(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (plain L1 for beta = 0)."""
    input, target = autocast_args("smooth_l1_loss", input, target)
    _check_same_size(input, target, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    loss = d if beta == 0 else tritorch.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    input, target = autocast_args("huber_loss", input, target)
    _check_same_size(input, target, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = (input - target).abs()
    loss = tritorch.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _composed_cross_entropy(x, target, weight, ignore_index, smoothing):
    """The backend primitive's per-row loss in Tensor ops (same formula, same errors)."""
    n, c = x.shape
    keep = target != ignore_index
    t = tritorch.where(keep, target, target.new_zeros(()))
    if n and (int(t.max()) >= c or int(t.min()) < 0):
        raise IndexError(f"Target {int(t[(t >= c) | (t < 0)][0])} is out of bounds.")
    logp = (x if x.dtype is tritorch.float64 else x.float()).log_softmax(1)
    w = weight.to(logp.dtype) if weight is not None else None
    nll = -logp.gather(1, t.unsqueeze(1)).squeeze(1)
    loss = (1.0 - smoothing) * (nll * w[t] if w is not None else nll)
    if smoothing:
        loss = loss - smoothing / c * ((logp * w).sum(1) if w is not None else logp.sum(1))
    return (loss * keep.to(loss.dtype)).to(x.dtype)


class CrossEntropy(Function):
    """Per-row loss of (N, C) logits against (N,) class indices: the backend's `cross_entropy`."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, smoothing):
        device = common_device(x, target, weight)
        ctx.save_for_backward(x, target, weight)
        ctx.meta = (ignore_index, smoothing)
        if not hasattr(x._b, "cross_entropy"):  # a backend without the fused primitive: Tensor ops
            return _composed_cross_entropy(x, target, weight, ignore_index, smoothing)
        loss, _ = x._b.cross_entropy(data_on(x, device), data_on(target, device), data_on(weight, device),
                                     ignore_index, smoothing)
        return wrap(loss, device).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, target, weight = ctx.saved_tensors
        ignore_index, eps = ctx.meta
        return _cross_entropy_grad(x, target, weight, ignore_index, eps, g), None, None, None, None


def _cross_entropy_grad(x, target, weight, ignore_index, eps, g):
    """d/dx of sum_i g_i loss_i for (N, C) logits and per-row upstream gradients g (N,)."""
    if not grad_mode.is_grad_enabled() and hasattr(x._b, "cross_entropy_backward"):  # one fused primitive
        dev = x.device
        return wrap(x._b.cross_entropy_backward(x._data, data_on(target, dev), data_on(weight, dev), ignore_index,
                                                eps, data_on(g, dev)), dev)
    n, c = x.shape
    xs = x if x.dtype is tritorch.float64 else x.float()
    # d loss_i / d x_ic = (1 - eps) w[t_i] (p_c - [c = t_i]) + eps / C (W p_c - w_c), W = sum(w);
    # p from the fused softmax (exact at large |x|, unlike exp(x - lse) in float32)
    p = xs.softmax(1)
    keep = target != ignore_index
    t = tritorch.where(keep, target, target.new_zeros(()))
    onehot = (t.unsqueeze(1) == tritorch.arange(c, device=t.device)).to(xs.dtype)  # one_hot would sync to check t
    w = weight.to(xs.dtype) if weight is not None else None
    wt = w[t] if w is not None else xs.new_ones(n)
    grad = (1 - eps) * wt.unsqueeze(1) * (p - onehot)
    if eps:
        grad = grad + (eps / c) * ((w.sum() * p - w) if w is not None else (c * p - 1))
    grad = grad * (g.to(xs.dtype) * keep.to(xs.dtype)).unsqueeze(1)
    return grad.to(x.dtype)


class CrossEntropyReduced(Function):
    """The mean or sum of CrossEntropy's per-row losses as one node, for float32/float64 logits on a
    backend with both fused primitives: the numbers of CrossEntropy followed by _reduce_weighted, bit for
    bit, without its ~6 Tensor ops and two more graph nodes (the loss of a classifier's every step)."""
    _name_override = "NllLossBackward0"  # PyTorch's grad_fn for F.cross_entropy

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction):
        dev = common_device(x, target, weight)
        total, denom, stats = x._b.cross_entropy_reduced(x._data, data_on(target, dev), data_on(weight, dev),
                                                         ignore_index, smoothing, reduction)
        ctx.save_for_backward(x, target, weight)
        ctx.meta = (ignore_index, smoothing, denom, stats)
        return wrap(total, dev)

    @staticmethod
    def backward(ctx, g):
        x, target, weight = ctx.saved_tensors
        ignore_index, eps, denom, stats = ctx.meta
        if stats is not None and not grad_mode.is_grad_enabled():  # the fused backward, the forward's softmax stats
            dev = x.device
            scale = data_on(g, dev) if denom is None else data_on(g, dev) / denom  # g / float(denom), as below
            return (wrap(x._b.cross_entropy_backward(x._data, data_on(target, dev), data_on(weight, dev), ignore_index,
                                                     eps, scale, stats), dev), None, None, None, None, None)
        rows = (g if denom is None else g / float(denom)).expand(x.shape[0])
        return _cross_entropy_grad(x, target, weight, ignore_index, eps, rows), None, None, None, None, None


def _class_dim_last(input):
    """(N, C, d1, ...) -> (N * d1 * ..., C); (N, C) and (C,) as (N, C) and (1, C)."""
    if input.dim() == 1:
        return input.unsqueeze(0)
    if input.dim() == 2:
        return input
    return input.movedim(1, -1).reshape(-1, input.shape[1])


def _check_class_target(input, target, weight):
    c = input.shape[0] if input.dim() == 1 else input.shape[1]
    if input.dim() == 1 and target.dim() != 0:
        raise RuntimeError(f"Expected target to be a 0-d tensor for a 1-d input, but got target of size "
                           f"{list(target.shape)}")
    if input.dim() >= 2:
        if target.dim() >= 1 and input.shape[0] != target.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0]}).")
        expect = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expect:
            raise RuntimeError(f"Expected target size {list(expect)}, got {list(target.shape)}")
    if target.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype}")
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got "
                           f"weight tensor of shape: {list(weight.shape)}")
    return c


def _reduce_weighted(loss, target, weight, ignore_index, reduction, shape):
    """'mean' divides by the summed class weight of the counted targets (their count without weights)."""
    if reduction == "none":
        return loss.reshape(shape)
    if reduction == "sum":
        return loss.sum()
    if reduction != "mean":
        raise ValueError(f"{reduction} is not a valid value for reduction")
    keep = target != ignore_index
    if weight is None:
        denom = keep.sum().to(loss.dtype)
    else:
        t = tritorch.where(keep, target, target.new_zeros(()))
        denom = (weight[t].to(loss.dtype) * keep.to(loss.dtype)).sum()
    return loss.sum() / denom


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and class indices or class probabilities.

    Args:
        input (Tensor): logits (C,), (N, C) or (N, C, d1, ...).
        target (Tensor): int64 class indices () / (N,) / (N, d1, ...), or float probabilities of
            input's shape.
        weight (Tensor, optional): (C,) class weights. Default: ``None``.
        ignore_index (int, optional): target value that contributes nothing (indices only). Default: -100.
        reduction (str, optional): 'none' | 'mean' | 'sum'. Default: ``'mean'``.
        label_smoothing (float, optional): mix the targets with the uniform distribution. Default: 0.
    """
    input, target, weight = autocast_args("cross_entropy", input, target, weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not input.dtype.is_floating_point:  # PyTorch's log_softmax refuses integer logits, as does ours
        input.log_softmax(0 if input.dim() == 1 else 1)
    if target.dtype.is_floating_point and target.shape == input.shape:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    _check_class_target(input, target, weight)
    x = _class_dim_last(input)
    t = target if target.dtype is tritorch.int64 and target.dim() == 1 else target.reshape(-1).long()
    if reduction != "none" and x.dtype in (tritorch.float32, tritorch.float64) \
            and hasattr(x._b, "cross_entropy_reduced"):
        return CrossEntropyReduced.apply(x, t, weight, ignore_index, float(label_smoothing), reduction)
    loss = CrossEntropy.apply(x, t, weight, ignore_index, float(label_smoothing))
    return _reduce_weighted(loss, t, weight, ignore_index, reduction, target.shape)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    c = input.shape[0] if input.dim() == 1 else input.shape[1]
    logp = input.log_softmax(0 if input.dim() == 1 else 1)
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / c
    prod = logp * target
    if weight is not None:
        prod = prod * weight.reshape((c,) + (1,) * (input.dim() - 2) if input.dim() > 1 else (c,))
    loss = -prod.sum(0 if input.dim() == 1 else 1)
    if reduction == "mean":
        return loss.sum() / (input.numel() // c) if input.dim() > 1 else loss
    return _reduce(loss, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-weight[t] * input[t] of log-probabilities input (C,), (N, C) or (N, C, d1, ...)."""
    input, target, weight = autocast_args("nll_loss", input, target, weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not input.dtype.is_floating_point:
        frame = "nll_loss_out_frame" if input.dim() <= 2 else "nll_loss2d_forward_out_frame"
        name = tritorch._dtype.SCALAR_TYPE_NAMES[input.dtype.name]
        raise NotImplementedError(f"\"{frame}\" not implemented for '{name}'")
    c = _check_class_target(input, target, weight)
    x = _class_dim_last(input)
    t = target.reshape(-1)
    keep = t != ignore_index
    ts = tritorch.where(keep, t, t.new_zeros(()))
    if t.numel() and (int(ts.max()) >= c or int(ts.min()) < 0):
        bad = ts[(ts >= c) | (ts < 0)][0]
        raise IndexError(f"Target {int(bad)} is out of bounds.")
    picked = x.gather(1, ts.unsqueeze(1)).squeeze(1)
    w = keep.to(x.dtype) if weight is None else weight[ts].to(x.dtype) * keep.to(x.dtype)
    loss = -picked * w
    return _reduce_weighted(loss, t, weight, ignore_index, reduction, target.shape)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t log(x) + (1 - t) log(1 - x)) of probabilities x, each log clamped to >= -100 (as PyTorch)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    with grad_mode.no_grad():
        if input.numel() and bool(((input < 0) | (input > 1)).any()):
            raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable formula:
    (1 - t) x + (1 + (pos_weight - 1) t) * softplus(-x), softplus(-x) = relu(-x) + log1p(exp(-|x|))."""
    input, target, weight, pos_weight = autocast_args("binary_cross_entropy_with_logits", input, target, weight,
                                                      pos_weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    softplus_neg = (-input).relu() + (-input.abs()).exp().log1p()
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) pointwise: target (log target - input); input holds log-probabilities.
    reduction 'batchmean' divides the sum by the batch size (the true KL divergence)."""
    input, target = autocast_args("kl_div", input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        safe = tritorch.where(target > 0, target, target.new_ones(()))  # xlogy(t, t): 0 where t == 0
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target = 1; max(0, cos(x1, x2) - margin) where target = -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    dim = input1.dim() - 1
    eps = 1e-12
    cos = (input1 * input2).sum(dim) / ((input1 * input1).sum(dim) + eps).sqrt() / \
        ((input2 * input2).sum(dim) + eps).sqrt()
    zero = cos.new_zeros(())
    loss = tritorch.where(target == 1, 1 - cos, zero) + tritorch.where(target == -1, (cos - margin).clamp(min=0),
                                                                         zero)
    return _reduce(loss, reduction)
