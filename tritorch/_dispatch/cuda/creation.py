"""Creation, host transfer and random numbers on the device.

Random draws come from a Philox stream (`tritorch.kernels.random`) keyed by the Generator's seed,
with a per-generator counter kept here: each draw advances it by its element count, and
reseeding the generator (`manual_seed`, `seed`, `set_state`: each gives it a new numpy stream
object) restarts it at 0, so `tritorch.manual_seed(s)` makes cuda draws reproducible. The cuda
counter is not part of `Generator.get_state()`.
"""
import weakref

import numpy as np

from tritorch import cuda
from tritorch.kernels.elementwise import elementwise
from tritorch.kernels.random import philox_fill
from tritorch.kernels.sort import argsort

__all__ = ["asarray", "to_numpy", "full", "empty", "arange", "linspace", "eye",
           "rand", "randn", "randint", "randperm", "bernoulli"]


def asarray(obj, dtype):
    """Host data (anything numpy takes) -> a new contiguous DeviceArray of `dtype`."""
    return cuda.to_device(np.asarray(obj, dtype=dtype))


def to_numpy(a):
    """A new host ndarray with a's values (a device-to-host copy: a synchronisation)."""
    return a.numpy()


def full(shape, value, dtype):
    return copy_fill(cuda.empty(shape, dtype), value)


def copy_fill(out, value):
    if value == 0 and not np.signbit(value):
        return out.zero_()
    return elementwise("identity", [value], out.dtype, compute=out.dtype, out=out)


def empty(shape, dtype):
    return cuda.empty(shape, dtype)


def arange(start, end, step, dtype):
    n = max(int(np.ceil((end - start) / step)), 0)
    exact = all(isinstance(v, (int, np.integer)) for v in (start, step))
    return elementwise("arange", [start, step], dtype, compute=np.int64 if exact else np.float64,
                       out=cuda.empty((n,), dtype))


def linspace(start, end, steps, dtype):
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    last = end if steps > 1 else start
    return elementwise("linspace", [start, step, last], dtype, compute=np.float64, out=cuda.empty((steps,), dtype))


def eye(n, m, dtype):
    return elementwise("eye", [0, m], dtype, compute=np.int64, out=cuda.empty((n, m), dtype))


# -- random ----------------------------------------------------------------------------------------
_COUNTERS = weakref.WeakKeyDictionary()  # Generator -> [its numpy stream when last seen, counter]


def _draw(gen, n):
    """(seed, offset) for a draw of n elements from `gen`, advancing its counter."""
    state = _COUNTERS.get(gen)
    if state is None or state[0] is not gen._np:  # new generator, or reseeded since
        state = _COUNTERS[gen] = [gen._np, 0]
    offset = state[1]
    state[1] += int(n)
    return gen.initial_seed() % (1 << 63), offset


def rand(shape, dtype, gen):
    return philox_fill("rand", shape, dtype, *_draw(gen, np.prod(shape, dtype=np.int64)))


def randn(shape, dtype, gen):
    return philox_fill("randn", shape, dtype, *_draw(gen, np.prod(shape, dtype=np.int64)))


def randint(low, high, shape, dtype, gen):
    return philox_fill("randint", shape, dtype, *_draw(gen, np.prod(shape, dtype=np.int64)), low=low,
                       span=high - low)


def randperm(n, dtype, gen):
    """A random permutation of range(n), as PyTorch's CUDA randperm: n random 64-bit keys from
    the Philox stream, stably argsorted on the device (ties, rare, keep their order)."""
    keys = philox_fill("bits", (n,), np.int64, *_draw(gen, n))
    perm = argsort(keys, 0)
    return perm if np.dtype(dtype) == np.int64 else elementwise("identity", [perm], dtype, compute=np.int64)


def bernoulli(p, gen):
    """1 where a uniform draw is below p (an array of probabilities), else 0; p's dtype."""
    p = p.contiguous()
    return philox_fill("bernoulli", p.shape, p.dtype, *_draw(gen, p.numel()), p=p)
