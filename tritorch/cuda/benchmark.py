"""Timing GPU work with CUDA events.

``benchmark(fn)`` runs ``fn`` once (compilation, allocation), ``warmup`` more times, then
``rep`` timed times, each between two CUDA events recorded on the current stream and preceded
by zeroing a 256 MiB buffer so every repetition starts with a cold L2 cache; it returns the
median in milliseconds.

Emulated device: events read ``time.perf_counter`` and there is no L2 to flush, so the result
is the host wall time of the interpreted kernels: useful to smoke-test a benchmark script, never
as a performance figure.
"""
import numpy as np

from .device import is_emulated, synchronize
from .streams import Event

L2_FLUSH_BYTES = 256 * 1024 * 1024


def l2_flush_buffer():
    """A device buffer larger than any GPU's L2 cache (None when emulated); ``.zero_()`` flushes."""
    if is_emulated():
        return None
    from .transfer import empty
    return empty((L2_FLUSH_BYTES // 4,), np.int32)


def measure(fn, warmup=10, rep=50, flush_l2=True):
    """Milliseconds of each of ``rep`` timed calls of ``fn`` (numpy float64 array); see ``benchmark``."""
    if rep < 1:
        raise ValueError(f"rep must be >= 1, got {rep}")
    cache = l2_flush_buffer() if flush_l2 else None
    fn()
    synchronize()
    for _ in range(warmup):
        fn()
    starts = [Event() for _ in range(rep)]
    ends = [Event() for _ in range(rep)]
    for start, end in zip(starts, ends):
        if cache is not None:
            cache.zero_()
        start.record()
        fn()
        end.record()
    synchronize()
    return np.array([start.elapsed_time(end) for start, end in zip(starts, ends)])


def benchmark(fn, warmup=10, rep=50, flush_l2=True, quantiles=None):
    """Time ``fn()`` (a callable that queues GPU work on the current stream).

    Args:
        fn (callable): the work to time; called ``1 + warmup + rep`` times.
        warmup (int, optional): untimed calls after the first. Default: ``10``.
        rep (int, optional): timed calls. Default: ``50``.
        flush_l2 (bool, optional): zero a 256 MiB buffer before each timed call. Default: ``True``.
        quantiles (sequence of float, optional): return these quantiles instead of the median.

    Returns:
        float: the median time of one call in milliseconds (or a list, one per quantile).
    """
    times = measure(fn, warmup, rep, flush_l2)
    if quantiles is not None:
        return [float(q) for q in np.quantile(times, quantiles)]
    return float(np.median(times))


def do_bench(fn, warmup=25, rep=100, grad_to_none=None, quantiles=None, return_mode="mean"):
    """``triton.testing.do_bench``'s signature on top of ``measure``: ``warmup`` and ``rep`` are
    budgets in milliseconds. This is the benchmarker tritorch's Triton driver hands to Triton."""
    estimate = max(float(np.median(measure(fn, warmup=0, rep=5))), 1e-3)

    def call():
        for x in grad_to_none or ():
            x.grad = None
        fn()

    times = measure(call, warmup=max(1, int(warmup / estimate)), rep=max(1, int(rep / estimate)))
    if quantiles is not None:
        values = [float(q) for q in np.quantile(times, quantiles)]
        return values[0] if len(values) == 1 else values
    stats = {"min": times.min, "max": times.max, "mean": times.mean, "median": lambda: np.median(times)}
    if return_mode == "all":
        return times.tolist()
    return float(stats[return_mode]())
