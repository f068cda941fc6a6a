"""Creation and host transfer. Random numbers come from the tritorch Generator passed in (its numpy stream)."""
import numpy as np

__all__ = ["asarray", "to_numpy", "full", "empty", "arange", "linspace", "eye",
           "rand", "randn", "randint", "randperm", "bernoulli"]


def asarray(obj, dtype):
    return np.array(obj, dtype=dtype)


def to_numpy(a):
    """The host ndarray behind `a` (no copy on the CPU)."""
    return a


def full(shape, value, dtype):
    return np.full(shape, value, dtype=dtype)


def empty(shape, dtype):
    return np.empty(shape, dtype=dtype)


def arange(start, end, step, dtype):
    n = max(int(np.ceil((end - start) / step)), 0)
    return (start + step * np.arange(n, dtype=np.float64 if np.dtype(dtype).kind == "f" else np.int64)).astype(dtype)


def linspace(start, end, steps, dtype):
    return np.linspace(start, end, steps, dtype=np.float64).astype(dtype)


def eye(n, m, dtype):
    return np.eye(n, m, dtype=dtype)


def _float(shape, dtype, draw):
    return draw(shape).astype(dtype) if np.dtype(dtype) != np.float64 else draw(shape)


def rand(shape, dtype, gen):
    return _float(shape, dtype, lambda s: gen._np.random(s))


def randn(shape, dtype, gen):
    return _float(shape, dtype, lambda s: gen._np.standard_normal(s))


def randint(low, high, shape, dtype, gen):
    return gen._np.integers(low, high, size=shape).astype(dtype)


def randperm(n, dtype, gen):
    return gen._np.permutation(n).astype(dtype)


def bernoulli(p, gen):
    """1.0 where a uniform draw is below p (an array of probabilities), else 0.0; p's dtype."""
    return (gen._np.random(p.shape) < p).astype(p.dtype)
