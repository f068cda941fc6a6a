"""Shared helpers for the core tests: tensors in several memory layouts, and a numpy comparison."""
import numpy as np

import tritorch

# shapes every elementwise op is tried on: 0-d, empty, a vector, a matrix, a 3-d block
SHAPES = [(), (0, 3), (5,), (3, 4), (2, 3, 4)]
TOL = {"float16": (1e-2, 1e-2), "bfloat16": (2e-2, 2e-2), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


def layouts(a, dtype=None, requires_grad=False):
    """`a` (numpy) as tritorch tensors of every layout its rank allows, as (name, tensor) pairs:
    contiguous, a transposed view (2-d and up) and a stepped-slice view (1-d and up)."""
    make = lambda arr: tritorch.tensor(arr, dtype=dtype)  # noqa: E731
    out = [("contiguous", make(a))]
    if a.ndim >= 2:
        t = make(np.ascontiguousarray(a.swapaxes(-1, -2))).transpose(-1, -2)
        assert not t.is_contiguous() or min(a.shape[-2:]) <= 1
        out.append(("transposed", t))
    if a.ndim >= 1:
        t = make(np.repeat(a, 2, axis=0))[::2]
        assert not t.is_contiguous() or a.shape[0] <= 1 or a.size == 0
        out.append(("stepped", t))
    if requires_grad:
        out = [(name, t.detach().requires_grad_()) for name, t in out]
    return out


def assert_close(actual, expected, dtype=None, rtol=None, atol=None, check_dtype=True):
    """actual (a tensor) equals expected (numpy or scalar) in shape, dtype and value."""
    expected = np.asarray(expected)
    assert isinstance(actual, tritorch.Tensor), type(actual)
    assert tuple(actual.shape) == expected.shape, (tuple(actual.shape), expected.shape)
    if check_dtype and dtype is not None:
        assert actual.dtype is dtype, (actual.dtype, dtype)
    got = actual.detach().numpy()
    if actual.dtype.is_floating_point:
        r, a = TOL[actual.dtype.name]
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol or r,
                                   atol=atol if atol is not None else a, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, expected)


def f64(rng, shape, lo=-2.0, hi=2.0, requires_grad=True):
    """A float64 leaf with uniform values in [lo, hi), for gradcheck."""
    return tritorch.tensor(rng.uniform(lo, hi, shape), dtype=tritorch.float64, requires_grad=requires_grad)
