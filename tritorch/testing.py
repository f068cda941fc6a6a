"""torch.testing: ``assert_close`` (and the deprecated ``assert_allclose``) with PyTorch's default
tolerances per dtype and its messages; ``make_tensor``.

    |actual - expected| <= atol + rtol * |expected|, elementwise; shapes, dtypes and devices must match.
"""
import math

import numpy as np

from . import _dtype
from .tensor import Tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

# dtype name -> (rtol, atol), PyTorch's defaults
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _tolerances(dtype, rtol, atol):
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    if rtol is not None:
        return rtol, atol
    return _TOLERANCES.get(dtype.name, (0.0, 0.0))


def _fail(msg, default, path):
    text = default + (f"\n\nThe failure occurred for item {path}" if path else "")
    if callable(msg):
        text = msg(text)
    elif msg is not None:
        text = msg
    raise AssertionError(text)


def _compare_tensors(a, e, rtol, atol, equal_nan, check_device, check_dtype, msg, path):
    for attr, ok in (("shape", a.shape == e.shape), ("device", not check_device or a.device == e.device),
                     ("dtype", not check_dtype or a.dtype is e.dtype)):
        if not ok:
            _fail(msg, f"The values for attribute '{attr}' do not match: {getattr(a, attr)} != "
                       f"{getattr(e, attr)}.", path)
    rtol, atol = _tolerances(_dtype.promote_types(a.dtype, e.dtype), rtol, atol)
    wide = _dtype.complex128 if a.dtype.is_complex or e.dtype.is_complex else _dtype.float64  # never drop imag
    x = a.detach().cpu().to(wide).numpy()
    y = e.detach().cpu().to(wide).numpy()
    diff = np.abs(x - y)
    with np.errstate(invalid="ignore", divide="ignore"):
        close = diff <= atol + rtol * np.abs(y)
        close |= (x == y)
        if equal_nan:
            close |= np.isnan(x) & np.isnan(y)
        rel = diff / np.abs(y)
    if close.all():
        return
    bad = int((~close).sum())
    exact = rtol == 0 and atol == 0
    diff, rel = np.where(np.isnan(diff), np.inf, diff), np.where(np.isnan(rel), np.inf, rel)
    ia, ir = np.unravel_index(np.argmax(diff), diff.shape), np.unravel_index(np.argmax(rel), rel.shape)
    integral = not (a.dtype._inexact or e.dtype._inexact)
    absval = int(diff[ia]) if integral else float(diff[ia])
    text = (f"Tensor-likes are not {'equal' if exact else 'close'}!\n\nMismatched elements: {bad} / {close.size} "
            f"({100.0 * bad / close.size:.1f}%)\nGreatest absolute difference: {absval} at index {tuple(map(int, ia))}"
            + ("" if exact else f" (up to {atol} allowed)")
            + f"\nGreatest relative difference: {float(rel[ir])} at index {tuple(map(int, ir))}"
            + ("" if exact else f" (up to {rtol} allowed)"))
    _fail(msg, text, path)


def _compare(a, e, rtol, atol, equal_nan, check_device, check_dtype, msg, path):
    if isinstance(a, Tensor) or isinstance(e, Tensor):
        if not (isinstance(a, Tensor) and isinstance(e, Tensor)):
            _fail(msg, f"No comparison pair was able to handle inputs of type {type(a)} and {type(e)}.", path)
        return _compare_tensors(a, e, rtol, atol, equal_nan, check_device, check_dtype, msg, path)
    if isinstance(a, dict) and isinstance(e, dict):
        if set(a) != set(e):
            _fail(msg, f"The keys of the mappings do not match:\n{sorted(map(repr, a))} != "
                       f"{sorted(map(repr, e))}", path)
        for k in a:
            _compare(a[k], e[k], rtol, atol, equal_nan, check_device, check_dtype, msg, f"{path}[{k!r}]")
        return
    if isinstance(a, (list, tuple)) and isinstance(e, (list, tuple)):
        if len(a) != len(e):
            _fail(msg, f"The length of the sequences mismatch: {len(a)} != {len(e)}", path)
        for i, (x, y) in enumerate(zip(a, e)):
            _compare(x, y, rtol, atol, equal_nan, check_device, check_dtype, msg, f"{path}[{i}]")
        return
    if isinstance(a, (bool, int, float)) and isinstance(e, (bool, int, float)):
        if check_dtype and type(a) is not type(e):
            _fail(msg, f"The values for attribute 'dtype' do not match: {type(a)} != {type(e)}.", path)
        r, t = (rtol, atol) if rtol is not None else _TOLERANCES["float64"] if isinstance(e, float) else (0.0, 0.0)
        d = abs(a - e)
        if d <= t + r * abs(e) or a == e or (equal_nan and math.isnan(a) and math.isnan(e)):
            return
        _fail(msg, f"Scalars are not close!\n\nExpected {e} but got {a}.\nAbsolute difference: {d} (up to {t} allowed)"
                   f"\nRelative difference: {d / abs(e) if e else math.inf} (up to {r} allowed)", path)
        return
    if a != e:
        _fail(msg, f"Objects are not equal: {a!r} != {e!r}", path)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False, check_device=True,
                 check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` (tensors, numbers, or nested
    sequences/mappings of them) are close: PyTorch's default ``rtol``/``atol`` for the dtype
    (float32: 1.3e-6 / 1e-5; float64: 1e-7 / 1e-7; float16: 1e-3 / 1e-5; bfloat16: 1.6e-2 / 1e-5;
    integers and bool: exact)."""
    _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, "")


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated in PyTorch: ``assert_close`` without dtype/device checks, NaNs equal by default."""
    from ._ops.creation import as_tensor
    actual = actual if isinstance(actual, Tensor) else as_tensor(actual)
    expected = expected if isinstance(expected, Tensor) else as_tensor(expected, dtype=actual.dtype)
    _compare(actual, expected, rtol, atol, equal_nan, False, False, msg or None, "")


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` with values drawn uniformly from [low, high) (defaults: [-9, 9)),
    as PyTorch's test helper."""
    from ._ops.creation import rand, randint
    from .tensor import Size
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)) else shape
    dtype = _dtype.to_dtype(dtype)
    low = -9 if low is None else low
    high = 9 if high is None else high
    if dtype is _dtype.bool_:
        t = randint(0, 2, shape, device=device).to(dtype)
    elif dtype.is_complex:  # real and imaginary parts each uniform in [low, high)
        part = dtype.to_real()
        t = make_tensor(*shape, dtype=part, device=device, low=low, high=high).to(dtype) + 1j * make_tensor(
            *shape, dtype=part, device=device, low=low, high=high)
    elif not dtype.is_floating_point:
        lo = max(int(math.ceil(low)), 0) if dtype is _dtype.uint8 else int(math.ceil(low))
        t = randint(lo, int(math.ceil(high)), shape, dtype=dtype, device=device)
    else:
        t = (rand(shape, dtype=_dtype.float64, device=device) * (high - low) + low).to(dtype)
    if exclude_zero:
        t = t.masked_fill(t == 0, 1 if not dtype._inexact else _TOLERANCES.get(dtype.name, (0, 1e-3))[1] * 10)
    return t.requires_grad_(requires_grad) if requires_grad else t
