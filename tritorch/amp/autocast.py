"""autocast: run matmul-like ops in low precision and precision-sensitive ops in float32.

The policy follows PyTorch's CUDA autocast op lists. Inside ``with tritorch.autocast("cuda")``:

* ops in ``LOWER_PRECISION_OPS`` (matmul, linear, convolutions, attention) cast their floating
  inputs to the autocast dtype (float16 by default on cuda, bfloat16 on cpu);
* ops in ``FP32_OPS`` (softmax, log_softmax, norms, losses, sum, ...) cast them to float32, so
  their outputs are float32;
* every other op runs in the dtypes it is given (type promotion decides, as usual).

float64 tensors and non-floating tensors are never cast. The hook is ``autocast_args(op, *xs)``,
called by each listed public op on its tensor arguments before it checks dtypes; it returns them
unchanged (one dict lookup) when autocast is off for their device. Casts of leaf tensors that
require grad (parameters) are cached until the outermost autocast region exits, as in PyTorch.
The autograd engine runs backward passes with autocast suspended (`suspended()`): gradients come
back in the dtypes of the forward's tensors.
"""
import functools
import threading
import warnings

from .. import _dtype

__all__ = ["autocast", "autocast_args", "is_autocast_enabled", "get_autocast_dtype", "LOWER_PRECISION_OPS",
           "FP32_OPS"]

# the ops that call autocast_args (mm, bmm, mv, dot and addmm reach it through matmul; conv1d and
# conv_transpose1d through their 2-d forms)
LOWER_PRECISION_OPS = frozenset({"matmul", "linear", "conv2d", "conv_transpose2d", "scaled_dot_product_attention"})
FP32_OPS = frozenset({
    "softmax", "log_softmax", "sum", "layer_norm", "group_norm", "rms_norm", "cross_entropy", "nll_loss",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "binary_cross_entropy_with_logits",
})
_DEFAULT_DTYPE = {"cuda": "float16", "cpu": "bfloat16"}
_LOW = {"cuda": ("float16", "bfloat16"), "cpu": ("bfloat16", "float16")}


class _State(threading.local):
    def __init__(self):
        self.dtypes = {}      # device type -> autocast dtype, for the device types autocast is on for
        self.suspended = 0    # > 0 inside a backward pass
        self.depth = 0        # nesting of enabled regions (the cast cache lives as long as the outermost)
        self.cache = {}       # id(leaf) -> (leaf, its version, dtype, cast copy)
        self.cache_enabled = True


_state = _State()


def is_autocast_enabled(device_type="cuda"):
    """Whether autocast is on for `device_type` here."""
    return device_type in _state.dtypes and not _state.suspended


def get_autocast_dtype(device_type):
    """The dtype autocast casts to on `device_type` (its default when autocast is off)."""
    return _state.dtypes.get(device_type) or getattr(_dtype, _DEFAULT_DTYPE[device_type])


def _cast(t, dtype):
    from .._ops._util import is_tensor
    from ..autograd import grad_mode
    if not is_tensor(t) or not t.dtype.is_floating_point or t.dtype is _dtype.float64 or t.dtype is dtype:
        return t
    cacheable = _state.cache_enabled and t.is_leaf and t.requires_grad and grad_mode.is_grad_enabled()
    if cacheable:
        hit = _state.cache.get(id(t))
        if hit is not None and hit[0] is t and hit[1] == t._version and hit[2] is dtype:
            return hit[3]
    out = t.to(dtype)
    if cacheable:
        _state.cache[id(t)] = (t, t._version, dtype, out)
    return out


def autocast_args(op, *tensors):
    """`tensors` cast as autocast's policy says for `op` (a tuple of the same length; non-tensors
    and None pass through). Unchanged when autocast is off for their device or `op` is unlisted."""
    if not _state.dtypes or _state.suspended:
        return tensors
    if op in LOWER_PRECISION_OPS:
        target = None
    elif op in FP32_OPS:
        target = _dtype.float32
    else:
        return tensors
    device = next((t.device.type for t in tensors if hasattr(t, "device")), None)
    low = _state.dtypes.get(device)
    if low is None:
        return tensors
    return tuple(_cast(t, target or low) for t in tensors)


class suspended:
    """Autocast off inside (the autograd engine's backward pass)."""

    def __enter__(self):
        _state.suspended += 1

    def __exit__(self, *exc):
        _state.suspended -= 1


class autocast:
    """Context manager and decorator: ops in the region run in mixed precision.

    Args:
        device_type (str): ``"cuda"`` or ``"cpu"``: the tensors whose ops are autocast.
        dtype (tritorch.dtype, optional): the low precision dtype. Default: ``float16`` on cuda,
            ``bfloat16`` on cpu (PyTorch's defaults).
        enabled (bool, optional): ``False`` turns autocast off inside (nested regions). Default: ``True``.
        cache_enabled (bool, optional): cache the casts of parameters inside the region. Default: ``True``.

    Examples::

        >>> with tritorch.autocast(device_type="cuda", dtype=tritorch.bfloat16):
        ...     loss = loss_fn(model(x), y)   # matmuls in bfloat16, softmax/losses in float32
        >>> loss.backward()                   # outside the region, as PyTorch recommends
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEFAULT_DTYPE:
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device = device_type
        self.fast_dtype = getattr(_dtype, _DEFAULT_DTYPE[device_type]) if dtype is None else dtype
        self._enabled = bool(enabled)
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        if self._enabled and self.fast_dtype.name not in _LOW[device_type]:
            warnings.warn(f"In {device_type} autocast, but the target dtype is not supported. Disabling autocast.\n"
                          f"{device_type} Autocast only supports dtypes of "
                          f"{' and '.join('torch.' + n for n in _LOW[device_type])} currently.")
            self._enabled = False

    def __enter__(self):
        self._prev = (_state.dtypes.get(self.device), _state.cache_enabled)
        if self._enabled:
            _state.dtypes[self.device] = self.fast_dtype
            _state.depth += 1
        else:
            _state.dtypes.pop(self.device, None)
        _state.cache_enabled = self._cache_enabled
        return self

    def __exit__(self, *exc):
        prev, _state.cache_enabled = self._prev
        if self._enabled:
            _state.depth -= 1
            if _state.depth == 0:
                _state.cache.clear()
        if prev is None:
            _state.dtypes.pop(self.device, None)
        else:
            _state.dtypes[self.device] = prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return wrapper
