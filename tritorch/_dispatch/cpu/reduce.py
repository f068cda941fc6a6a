"""Reductions over any set of axes, arg-reductions, scans and sorts."""
import ml_dtypes
import numpy as np

__all__ = ["reduce", "arg_reduce", "var", "cumulative", "logsumexp", "sort", "topk", "unique"]

_LOW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))
# the ufuncs' own reduce methods: np.sum(...) is the same add.reduce behind ~2 µs of argument handling
_REDUCE = {"sum": np.add.reduce, "prod": np.multiply.reduce, "amax": np.maximum.reduce,
           "amin": np.minimum.reduce, "mean": np.mean, "all": np.logical_and.reduce, "any": np.logical_or.reduce}


def _up(a):
    return a.astype(np.float32) if a.dtype in _LOW else a


def reduce(op, a, axes, keepdim, dtype=None):
    """op over `axes` (a tuple; () means every axis). `dtype`: the result's dtype."""
    axes = tuple(axes) if axes else tuple(range(a.ndim))
    if op == "count_nonzero":
        out = np.count_nonzero(a, axis=axes, keepdims=keepdim)
    else:
        out = _REDUCE[op](_up(a), axis=axes, keepdims=keepdim)
    out, target = np.asarray(out), np.dtype(dtype or a.dtype)
    if target in _LOW and out.dtype != target:
        with np.errstate(over="ignore"):  # a float16 sum past 65504 is inf, quietly, as in PyTorch
            return out.astype(target)
    return out.astype(target, copy=False)


def arg_reduce(op, a, axis, keepdim):
    """argmax/argmin along `axis` (None: over the flattened array), int64. NaN wins, as in PyTorch."""
    fn = np.argmax if op == "argmax" else np.argmin
    a = _up(a)
    if np.issubdtype(a.dtype, np.floating) and np.isnan(a).any():
        a = np.where(np.isnan(a), np.inf if op == "argmax" else -np.inf, a)
    if axis is None:
        out = np.asarray(fn(a))
        return out.reshape((1,) * a.ndim) if keepdim else out
    return np.asarray(fn(a, axis=axis, keepdims=keepdim)).astype(np.int64)


def var(a, axes, correction, keepdim):
    axes = tuple(axes) if axes else tuple(range(a.ndim))
    n = int(np.prod([a.shape[i] for i in axes])) if a.ndim else 1
    with np.errstate(all="ignore"):
        x = _up(a)
        mean = x.mean(axis=axes, keepdims=True)
        ss = np.sum((x - mean) ** 2, axis=axes, keepdims=keepdim)
        out = ss / max(n - correction, 0) if n - correction > 0 else ss * np.nan
    return np.asarray(out).astype(a.dtype, copy=False)


def logsumexp(a, axes, keepdim):
    axes = tuple(axes) if axes else tuple(range(a.ndim))
    x = _up(a)
    # complex: shift by the largest real part, as PyTorch (the imaginary part stays in (-pi, pi])
    m = np.max(x.real if x.dtype.kind == "c" else x, axis=axes, keepdims=True) if x.size else np.zeros(
        [1] * x.ndim, x.real.dtype)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    if not keepdim:
        out = np.squeeze(out, axis=axes)
    return np.asarray(out).astype(a.dtype, copy=False)


def cumulative(op, a, axis):
    fn = np.cumsum if op == "cumsum" else np.cumprod
    return fn(_up(a), axis=axis).astype(a.dtype, copy=False)


def sort(a, axis, descending, stable=True):
    """(values, int64 indices) along axis, stable both ways; NaN sorts as the largest value (last
    ascending, first descending), as in PyTorch."""
    key = _up(a)
    if key.dtype.kind == "f":
        nan = np.isnan(key)
        finite_order = -key if descending else key
        idx = np.lexsort((np.where(nan, 0, finite_order), ~nan if descending else nan), axis=axis)
    else:  # ~ reverses the order of every integer and bool dtype without overflow (unlike negation)
        idx = np.argsort(~key if descending else key, axis=axis, kind="stable")
    return np.take_along_axis(a, idx, axis), idx.astype(np.int64)


def topk(a, k, axis, largest, sorted_):
    values, idx = sort(a, axis, descending=largest)
    sl = [slice(None)] * a.ndim
    sl[axis] = slice(0, k)
    return values[tuple(sl)], idx[tuple(sl)]


def unique(a, sorted_, return_inverse, return_counts, dim):
    # every NaN its own value, as PyTorch (numpy merges them); bfloat16 goes through float32 (exactly)
    values, inverse, counts = np.unique(_up(a), return_inverse=True, return_counts=True, axis=dim, equal_nan=False)
    values = values.astype(a.dtype, copy=False)
    inverse = inverse.reshape(a.shape if dim is None else (a.shape[dim],)).astype(np.int64)
    return values, inverse, counts.astype(np.int64)


def softmax(a, axis, log):
    """softmax (log=False) or log_softmax (log=True) along axis, max-subtracted, a's dtype."""
    x = _up(a)
    m = np.max(x, axis=axis, keepdims=True) if x.size else x
    m = np.where(m == -np.inf, 0, m)  # only a row of -inf is shifted by 0 (NaN out); +inf gives NaN as in PyTorch
    with np.errstate(all="ignore"):
        z = x - m  # the one full-size temporary: exp, the division and the log shift work in place
        if log:
            z -= np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
            return z.astype(a.dtype, copy=False)
        e = np.exp(z, out=z)
        e /= np.sum(e, axis=axis, keepdims=True)
    return e.astype(a.dtype, copy=False)


__all__ += ["softmax"]
