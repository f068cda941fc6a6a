"""Runs of equal values in a sorted array, and sums over them: the kernels behind unique and the
deterministic index_add (embedding's backward).

* ``run_starts``: 1 where a sorted array's value differs from the previous one (NaN equal to NaN,
  -0.0 to 0.0: equality of the sort keys of ``kernels.sort``), else 0. Its cumulative sum numbers
  the runs; ``run_lengths`` turns the run starts into counts.
* ``segment_add``: ``out = a`` plus, for each slot ``r`` along the indexed dim, the slices of
  ``src`` whose index is ``r``, summed in order of their position (the index array is stably
  argsorted first, so each slot's contributions form one run of the sorted keys). One program
  sums whole runs: no atomics, the same bits on every run, and for float32/float64 the same bits
  as numpy's sequential ``np.add.at``. Slots no index hits keep ``a``'s value.

The numpy twins and test oracles are ``np.unique`` and ``np.add.at`` (the CPU backend).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import empty, is_emulated

from ._harness import prepare_launch
from .sort import _key

BLOCK = 1024


@triton.jit
def _run_starts(x_ptr, flags_ptr, n, IS_FLOAT: tl.constexpr, BLOCK: tl.constexpr):
    """flags[i] = (i == 0 or key(x[i]) != key(x[i - 1]) or x[i] is NaN); x, flags: [n] contiguous.
    Every NaN starts its own run: NaN equals nothing, so unique keeps each one, as PyTorch does."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0)
    k = _key(x, IS_FLOAT, False)
    prev = _key(tl.load(x_ptr + offs - 1, mask=mask & (offs > 0), other=0), IS_FLOAT, False)
    start = (offs == 0) | (k != prev)
    if IS_FLOAT:
        v = x.to(tl.float32)  # (the interpreter compares bfloat16 by its bits)
        start = start | (v != v)
    tl.store(flags_ptr + offs, start.to(tl.int64), mask=mask)


@triton.jit
def _run_lengths(starts_ptr, counts_ptr, count, n, BLOCK: tl.constexpr):
    """counts[j] = starts[j + 1] - starts[j] (n - starts[j] for the last run)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < count
    start = tl.load(starts_ptr + offs, mask=mask, other=0)
    end = tl.load(starts_ptr + offs + 1, mask=mask & (offs + 1 < count), other=n)
    tl.store(counts_ptr + offs, end - start, mask=mask)


@triton.jit
def _lower_bound(keys_ptr, m, target, steps):
    """For each target: how many of the m sorted keys are below it (binary search, steps >= the
    bit length of m)."""
    lo = tl.zeros_like(target)
    hi = tl.zeros_like(target) + m
    for _ in range(steps):
        active = lo < hi
        mid = (lo + hi) // 2
        below = tl.load(keys_ptr + mid, mask=active, other=0) < target
        lo = tl.where(active & below, mid + 1, lo)
        hi = tl.where(active & (~below), mid, hi)
    return lo


@triton.jit
def _segment_add(out_ptr, a_ptr, src_ptr, keys_ptr, order_ptr, n_rows, size, inner, m, steps,
                 sa0, sa1, sa2, ss0, ss1, ss2, ACC: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_D: tl.constexpr):
    """out[o, r, d] = a[o, r, d] + sum of src[o, order[j], d] over the run of j with keys[j] == r,
    in order of j. out: [outer, size, inner] contiguous; a, src: [outer, size or m, inner] strided;
    keys (sorted) and order: [m] contiguous int64; rows run over outer * size."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_R + tl.arange(0, BLOCK_R)
    d = tl.program_id(1).to(tl.int64) * BLOCK_D + tl.arange(0, BLOCK_D)
    row_ok = rows < n_rows
    o = rows // size
    r = rows % size
    lo = _lower_bound(keys_ptr, m, r, steps)
    hi = _lower_bound(keys_ptr, m, r + 1, steps)
    hi = tl.where(row_ok, hi, lo)
    mask = row_ok[:, None] & (d < inner)[None, :]
    acc = tl.load(a_ptr + (o * sa0 + r * sa1)[:, None] + d[None, :] * sa2, mask=mask, other=0).to(ACC)
    for k in range(0, tl.max(hi - lo)):  # the longest run among these rows
        j = lo + k
        hit = j < hi
        p = tl.load(order_ptr + j, mask=hit, other=0)
        v = tl.load(src_ptr + (o * ss0 + p * ss1)[:, None] + d[None, :] * ss2, mask=hit[:, None] & mask, other=0)
        acc += v.to(ACC)
    tl.store(out_ptr + (rows * inner)[:, None] + d[None, :], acc.to(out_ptr.dtype.element_ty), mask=mask)


def _grid(n):
    return (triton.cdiv(n, BLOCK),)


def run_starts(x):
    """int64 flags ``(n,)``: 1 where contiguous 1-D sorted ``x`` starts a new run of equal values."""
    flags = empty(x.shape, np.int64)
    if x.numel():
        prepare_launch()
        _run_starts[_grid(x.numel())](x, flags, x.numel(), IS_FLOAT=x.dtype.kind in "fV", BLOCK=BLOCK)
    return flags


def run_lengths(starts, n):
    """int64 ``(count,)``: the lengths of the runs that start at contiguous ``starts`` (ascending
    positions, the first 0) of an array of length ``n``."""
    counts = empty(starts.shape, np.int64)
    if starts.numel():
        prepare_launch()
        _run_lengths[_grid(starts.numel())](starts, counts, starts.numel(), n, BLOCK=BLOCK)
    return counts


def segment_add(a, src, keys, order):
    """``a`` (outer, size, inner) plus the slices of ``src`` (outer, m, inner) summed by index:
    slice j of src goes to slot ``keys[i]`` where ``order[i] == j`` (keys: the stably sorted
    indices, each in [0, size), and order: their argsort, both int64 (m,) contiguous).

    Returns a new contiguous (outer, size, inner) array of a's dtype. Sums run in float32 for
    float16/bfloat16/float32, float64 for float64, int64 for integers (wrapped to a's dtype) and
    bool (any)."""
    outer, size, inner = a.shape
    out = empty(a.shape, a.dtype)
    if out.numel() == 0:
        return out
    acc = tl.float64 if a.dtype == np.float64 else tl.float32 if a.dtype.kind in "fV" else tl.int64
    block_d = min(triton.next_power_of_2(inner), 128)
    budget = 2 ** 16 if is_emulated() else 2048  # elements per program: few programs when interpreted
    block_r = max(1, min(triton.next_power_of_2(outer * size), budget // block_d))
    m = keys.numel()
    grid = (triton.cdiv(outer * size, block_r), triton.cdiv(inner, block_d))
    prepare_launch()
    _segment_add[grid](out, a, src, keys, order, outer * size, size, inner, m, max(m, 1).bit_length(),
                       *a.strides, *src.strides, ACC=acc, BLOCK_R=block_r, BLOCK_D=block_d)
    return out
