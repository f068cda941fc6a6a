"""Dropout, pad, normalize, cosine_similarity, pairwise_distance, one_hot."""
import tritorch
from ...autograd.function import Function
from ..._ops._util import wrap
from ..._ops.inplace import apply_inplace, snapshot
from ..._ops.complex import refuse_complex

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "pad", "normalize", "cosine_similarity", "pairwise_distance",
           "one_hot"]


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _masked(input, mask_shape, p, inplace):
    """input * mask / (1 - p), mask ~ Bernoulli(1 - p) of mask_shape (broadcast), drawn from the
    default generator (tritorch.manual_seed makes it reproducible)."""
    def fn(x):
        if p == 1.0:
            return x * 0.0
        mask = tritorch.empty(mask_shape, dtype=x.dtype, device=x.device).bernoulli_(1.0 - p)
        return x * (mask * (1.0 / (1.0 - p)))  # the mask needs no gradient: one product to differentiate
    return apply_inplace(input, fn(snapshot(input))) if inplace else fn(input)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training only)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _masked(input, input.shape, p, inplace)


def _channel_dropout(input, p, training, inplace, spatial, name):
    _check_p(p)
    if input.dim() not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received input of size: "
                           f"{list(input.shape)}")
    if not training or p == 0.0:
        return input
    lead = input.dim() - spatial
    return _masked(input, tuple(input.shape[:lead]) + (1,) * spatial, p, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


def _feature_dropout(input, p, training, inplace, spatial, name, batched):
    """PyTorch's feature dropout: one mask value per (n, c) of the first two dims (after adding a
    batch dim of 1 when not batched). Ranks other than spatial + 1/2 warn, as PyTorch does."""
    import warnings
    _check_p(p)
    d = input.dim()
    if d not in (spatial + 1, spatial + 2):
        warnings.warn(f"{name}: Received a {d}-D input to {name}, which is deprecated and will result in an error "
                      f"in a future release. To retain the behavior and silence this warning, please use dropout "
                      f"instead. Note that {name} exists to provide channel-wise dropout on inputs with {spatial} "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension (i.e. {spatial + 1}D "
                      f"or {spatial + 2}D inputs).", stacklevel=3)
    lead = input.shape if batched else (1,) + tuple(input.shape)
    if len(lead) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0.0:
        return input
    mask_shape = tuple(lead[:2]) + (1,) * (len(lead) - 2)
    if not batched:
        mask_shape = mask_shape[1:]
    return _masked(input, mask_shape, p, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) with probability p. As in PyTorch, a 3-D input is read as
    (N, C, L) (channel-wise 1-D dropout, with a warning) and other ranks warn and use dims 0-1."""
    import warnings
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d", batched=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p (other ranks warn)."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d", batched=input.dim() == 5)


class ConstantPad(Function):
    """Pad (or crop, for negative widths) with a constant; the gradient crops (or pads) back."""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        return wrap(x._b.pad(x._data, widths, value), x.device)

    @staticmethod
    def backward(ctx, g):
        return ConstantPad.apply(g, tuple((-b, -e) for b, e in ctx.widths), 0), None, None


def _pad_index(n, before, after, mode, device):
    """Source indices along one dim for the non-constant modes."""
    idx = tritorch.arange(-before, n + after, device=device)
    if mode == "replicate":
        return idx.clamp(0, n - 1)
    if mode == "circular":
        return idx.remainder(n)
    if before >= n or after >= n:
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                           f"got: padding ({before}, {after}) at dimension of input {n}")
    period = 2 * (n - 1)  # reflect
    r = idx.abs().remainder(period) if period else idx * 0
    return tritorch.where(r >= n, period - r, r)


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 dims: pad = (last_left, last_right, 2nd_last_left, ...).

    mode: 'constant' (value, default 0; negative widths crop), 'reflect', 'replicate', 'circular'."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    k = len(pad) // 2
    widths = [(0, 0)] * (input.dim() - k) + [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in reversed(range(k))]
    if mode == "constant":
        if any(n + min(b, 0) + min(a, 0) < 0 for n, (b, a) in zip(input.shape, widths)):
            raise RuntimeError("narrow(): length must be non-negative.")  # cropping more than there is
        return ConstantPad.apply(input, tuple(widths), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value:
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
    out = input
    for d in range(input.dim() - k, input.dim()):
        before, after = widths[d]
        if before or after:
            out = out.index_select(d, _pad_index(input.shape[d], before, after, mode, input.device))
    return out


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim, broadcasting x1 and x2."""
    refuse_complex("cosine_similarity", x1, x2)
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


def one_hot(tensor, num_classes=-1):
    """(*,) int64 class indices -> (*, num_classes) int64."""
    return tritorch.one_hot(tensor, num_classes)
