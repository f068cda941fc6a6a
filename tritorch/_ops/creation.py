"""Creation ops (tensor, zeros, randn, arange, ...) and moves between dtypes and devices."""
import math

import numpy as np

from .. import _dtype
from .._device import as_device
from .._global_settings import get_default_device
from .._random import default_generator
from ..autograd.function import Function
from .._dispatch import backend_for
from ._util import is_tensor, size_args, wrap


def _is_size(s):
    return hasattr(s, "__index__") and not isinstance(s, bool)


def _shape(size, name):
    """size_args with PyTorch's TypeError for a size that is not an integer (`name`: the function);
    int(2.5) would otherwise make ones(2.5) a tensor of 2 elements."""
    packed = len(size) == 1 and isinstance(size[0], (tuple, list))
    sizes = size[0] if packed else size
    bad = [i for i, s in enumerate(sizes) if not _is_size(s)]
    if bad and packed:
        raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, but found element of "
                        f"type {type(sizes[bad[0]]).__name__} at pos {bad[0]}")
    if bad and len(sizes) == 1:
        raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not {type(sizes[0]).__name__}")
    if bad:
        raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {bad[0] + 1} with error "
                        f"\"type must be tuple of ints,but got {type(sizes[bad[0]]).__name__}\"")
    shape = tuple(s.__index__() for s in sizes)
    if name == "zeros" and any(s < 0 for s in shape):
        raise RuntimeError("zeros: Dimension size must be non-negative.")  # PyTorch's own words for zeros
    return size_args(shape)


def _check_ordinal(device):
    """A cuda index past the devices there are raises (PyTorch: "CUDA error: invalid device ordinal")
    instead of making a tensor on a device that does not exist. Index 0 needs no query."""
    if device.type == "cuda" and device.index:
        from ..cuda import device_count
        n = device_count()
        if device.index >= n:
            raise RuntimeError(f"CUDA error: invalid device ordinal ({device} requested, {n} CUDA device"
                               f"{'' if n == 1 else 's'} available)")
    return device


def complex_cpu_only(what, dtype, device):
    """Complex tensors live in numpy: on another device, one clear error naming the op, dtype and device."""
    if dtype.is_complex and device.type != "cpu":
        raise RuntimeError(f"{what}: tritorch's complex tensors are CPU-only ({dtype.name} on {device}); compute "
                           "on the CPU, or keep real and imaginary parts as two real tensors on the GPU")


def _make(data_fn, dtype, device, requires_grad):
    device = _check_ordinal(get_default_device() if device is None else as_device(device))
    if dtype.is_complex:
        complex_cpu_only("creating a tensor", dtype, device)
    t = wrap(data_fn(backend_for(device), dtype.np), device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """dtype of torch.tensor(data): numpy arrays keep theirs; Python bool/int/float -> bool/int64/default."""
    if isinstance(data, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(data.dtype)
    arr = np.asarray(_host(data))  # nested Python lists: by kind, never numpy's float64
    if arr.dtype.kind == "b":
        return _dtype.bool_
    if arr.dtype.kind in "iu":
        return _dtype.int64
    if arr.dtype.kind == "f":
        return _dtype.get_default_dtype()
    if arr.dtype.kind == "c":  # Python complex numbers: the complex dtype of the default float (complex64)
        return _dtype.get_default_dtype().to_complex()
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _host(data):
    """Nested lists that may hold tensors -> numpy."""
    if is_tensor(data):
        return data.detach().cpu().numpy()
    if isinstance(data, (list, tuple)) and any(is_tensor(x) or isinstance(x, (list, tuple)) for x in data):
        parts = [_host(x) for x in data]
        return np.array(parts) if parts else np.zeros(0)
    return data


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if is_tensor(data):
        out = data.detach().clone().to(device or data.device)
        out = out.to(_dtype.to_dtype(dtype)) if dtype is not None else out
        return out.requires_grad_(requires_grad) if requires_grad else out
    dtype = _dtype.to_dtype(dtype) if dtype is not None else _infer_dtype(data)
    arr = np.array(_host(data), dtype=dtype.np)
    return _make(lambda b, d: b.asarray(arr, d), dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    if is_tensor(data):
        out = data if device is None else data.to(device)
        return out if dtype is None else out.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.to_dtype(dtype).np == data.dtype) and \
            (get_default_device() if device is None else as_device(device)).type == "cpu":
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A CPU tensor sharing memory with `ndarray`."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return wrap(ndarray)


def _factory(fill, name):
    def make(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
             memory_format=None):
        d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
        shape = _shape(size, name)
        return _make(lambda b, npd: fill(b, shape, npd), d, device, requires_grad)
    make.__name__ = name
    return make


zeros = _factory(lambda b, shape, d: b.full(shape, 0, d), "zeros")
ones = _factory(lambda b, shape, d: b.full(shape, 1, d), "ones")
empty = _factory(lambda b, shape, d: b.empty(shape, d), "empty")


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None):
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value.item() if is_tensor(fill_value) else fill_value)
    dtype = _dtype.to_dtype(dtype)
    shape = _shape((size,), "full")
    value = fill_value.item() if is_tensor(fill_value) else fill_value
    if isinstance(value, complex) and not dtype.is_complex:  # never the real part in silence
        from .inplace import _check_scalar
        _check_scalar(zeros(0, dtype=dtype), value)
    return _make(lambda b, d: b.full(shape, value, d), dtype, device, requires_grad)


def _like(fn):
    def make(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
        return fn(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)
    return make


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def _random(name):
    def make(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
        d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
        if d.is_complex:  # real and imaginary parts drawn apart; randn's parts have variance 1/2 each
            from .complex import complex as _cplx
            parts = [make(*size, generator=generator, dtype=d.to_real(), device=device) for _ in range(2)]
            scale = 0.5 ** 0.5 if name == "randn" else 1.0
            out = _cplx(parts[0] * scale, parts[1] * scale) if scale != 1.0 else _cplx(*parts)
            return out.requires_grad_(requires_grad) if requires_grad else out
        if not d.is_floating_point:
            raise RuntimeError(f"\"{name}\" not implemented for '{d.name}'")
        shape = _shape(size, name)
        return _make(lambda b, npd: getattr(b, name)(shape, npd, generator or default_generator), d,
                     device, requires_grad)
    make.__name__ = name
    return make


rand = _random("rand")
randn = _random("randn")


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad,
                generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad, generator=generator)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """randint(high, size) or randint(low, high, size); values in [low, high)."""
    if high is None:            # randint(high, size=...)
        low, high = 0, low
    elif size is None:          # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    shape = _shape((size,), "randint")
    return _make(lambda b, npd: b.randint(low, high, shape, npd, generator or default_generator), d, device,
                 requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device or input.device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    if not _is_size(n):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    n = n.__index__()
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    return _make(lambda b, npd: b.randperm(n, npd, generator or default_generator), d, device, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if is_tensor(v) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0 or step != step:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = _dtype.get_default_dtype() if any(isinstance(v, float) for v in vals) else _dtype.int64
    dtype = _dtype.to_dtype(dtype)
    return _make(lambda b, d: b.arange(*vals, d), dtype, device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    if not _is_size(steps):
        raise TypeError(f"linspace(): argument 'steps' (position 3) must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype is None and any(isinstance(v, complex) for v in (start, end)):
        dtype = _dtype.get_default_dtype().to_complex()  # complex ends: a complex line, as PyTorch
    dtype = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if dtype.is_complex:
        from .complex import complex as _complex
        start, end = complex(start), complex(end)
        part = dtype.to_real()
        out = _complex(linspace(start.real, end.real, steps, dtype=part, device=device),
                       linspace(start.imag, end.imag, steps, dtype=part, device=device))
        return out.requires_grad_(requires_grad) if requires_grad else out
    return _make(lambda b, d: b.linspace(start, end, steps, d), dtype, device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    return (base ** linspace(start, end, steps, dtype=_dtype.float64, device=device)).to(
        _dtype.to_dtype(dtype) if dtype else _dtype.get_default_dtype()).requires_grad_(requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    for name, v, pos in (("n", n, 1), ("m", m, 2)):
        if v is not None and not _is_size(v):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    dtype = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    return _make(lambda b, d: b.eye(n, n if m is None else m, d), dtype, device, requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """Draws 1 with probability p (or input's values); a probability outside [0, 1] raises, as in PyTorch
    (checked on the host for CPU tensors; a cuda tensor of probabilities is not read back)."""
    if p is not None and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    if p is None and input.device.type == "cpu" and input.numel():
        probs = input.detach().numpy()
        if not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    probs = input if p is None else full_like(input, p)
    return wrap(probs._b.bernoulli(probs.detach()._data, generator or default_generator), probs.device)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw indices by the (unnormalised) weights in each row of input (1-d or 2-d), int64."""
    gen = (generator or default_generator)._np
    probs = input.detach().cpu().double().numpy()
    rows = probs.reshape(-1, probs.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    out = []
    for r in rows:  # one draw call per row, vectorised over samples
        total = r.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > (r > 0).sum():
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        out.append(gen.choice(len(r), size=num_samples, replace=replacement, p=r / total))
    res = np.array(out, dtype=np.int64).reshape(probs.shape[:-1] + (num_samples,))
    return tensor(res, device=input.device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None):
    if not is_tensor(std) and not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if is_tensor(std) and std.device.type == "cpu" and std.numel() and not (std.detach().numpy() >= 0).all():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if size is not None:
        return randn(size, generator=generator, dtype=dtype, device=device) * std + mean
    ref = mean if is_tensor(mean) else std
    return randn(ref.shape, generator=generator, dtype=ref.dtype, device=ref.device) * std + mean


# -- moves between dtypes and devices --------------------------------------------------------
class ToDevice(Function):
    @staticmethod
    def forward(ctx, x, device):
        ctx.src = x.device
        _check_ordinal(device)
        complex_cpu_only("Tensor.to", x.dtype, device)
        host = x._b.to_numpy(x._data)
        if device.type == "cpu":
            host = np.array(host, copy=True) if x.device.type == "cpu" else host
        return wrap(backend_for(device).asarray(host, host.dtype), device)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.src), None


def _parse_to(args, kwargs):
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, bool):
            continue
        if is_tensor(a):
            device, dtype = a.device, a.dtype
        elif isinstance(a, _dtype.dtype) or a in (float, int, bool) or isinstance(a, np.dtype):
            dtype = a
        elif a is not None:
            device = a
    return (as_device(device) if device is not None else None,
            _dtype.to_dtype(dtype) if dtype is not None else None, copy)


def to(self, *args, **kwargs):
    """to(dtype), to(device), to(device, dtype), to(other_tensor); returns self when nothing changes."""
    from .elementwise import Cast
    device, dtype, copy = _parse_to(args, dict(kwargs))
    out = self
    if device is not None and device != out.device:
        out = ToDevice.apply(out, device)
    if dtype is not None and dtype is not out.dtype:
        out = Cast.apply(out, dtype)
    if copy and out is self:
        out = self.clone()
    return out


def cpu(self):
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False):
    return to(self, as_device("cuda" if device is None else device if not isinstance(device, int) else device))


def type_(self, dtype=None, non_blocking=False, **kwargs):
    """'torch.FloatTensor' (PyTorch's string) with no argument, else a cast: see _legacy_tensor_types."""
    from .._legacy_tensor_types import tensor_type
    return tensor_type(self, dtype, non_blocking)


def type_as(self, other):
    return to(self, other.dtype)


def _caster(d):
    def cast(self, memory_format=None):
        return to(self, d)
    return cast


float_ = _caster(_dtype.float32)
double = _caster(_dtype.float64)
half = _caster(_dtype.float16)
bfloat16 = _caster(_dtype.bfloat16)
long = _caster(_dtype.int64)
int_ = _caster(_dtype.int32)
short = _caster(_dtype.int16)
char = _caster(_dtype.int8)
byte = _caster(_dtype.uint8)
bool_ = _caster(_dtype.bool_)
cfloat = _caster(_dtype.complex64)
cdouble = _caster(_dtype.complex128)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _new(fn, name):
    def make(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        shape = _shape(size, name)  # checked here so that errors name new_zeros, not zeros
        return fn(shape, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
    return make


new_zeros = _new(zeros, "new_zeros")
new_ones = _new(ones, "new_ones")
new_empty = _new(empty, "new_empty")


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)
