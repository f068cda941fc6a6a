"""Stable argsort along one dim, for every dtype and any row length, on the device.

Each value becomes an int64 *key* whose signed order is the sort order (``_key``): floats are
widened to float64, canonicalised (one NaN, above +inf; -0.0 -> 0.0) and their bits flipped
into a total order; integers and bool are their value. Descending order complements the key, so
NaN sorts last ascending and first descending, as in PyTorch, and ties keep their original
order both ways.

Two phases, no host round trip:

1. ``_sort_chunks``: each row is cut into chunks of ``CHUNK`` columns (a power of two, at most
   ``MAX_CHUNK``), and every element of a chunk computes its rank in registers: the keys below
   its own plus the equal keys before it (a CHUNK x CHUNK comparison), and is stored there.
2. ``_merge``: ``log2(chunks)`` passes, each merging pairs of sorted runs. Every element finds its
   output position on its own: its index in its run plus its rank in the partner run, a binary
   search over the partner's keys (left-run elements count the partner's keys ``<``, right-run
   elements ``<=``, so ties keep the left run first: stable).

Rows up to MAX_CHUNK long take one launch. (``tl.sort``, a bitonic network, would sort larger
chunks in registers on a GPU, but Triton's interpreter runs it as Python loops, seconds per
call; ranks and merges run on both.) The numpy twin and test oracle is
``np.argsort(kind="stable")`` (the CPU backend's ``sort``).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import empty, is_emulated

from ._harness import prepare_launch
from ._strided import rows_along

MAX_CHUNK = 64  # columns sorted in registers by comparing every pair


def _sizes():
    """(pairs compared per program of the chunk sort, elements per program of a merge pass): sized
    for registers on a GPU; under the interpreter, where every program costs milliseconds of
    Python, few large programs."""
    return (2 ** 18, 2 ** 16) if is_emulated() else (4096, 1024)


@triton.jit
def _key(x, IS_FLOAT: tl.constexpr, DESCENDING: tl.constexpr):
    """int64 keys whose signed order is the (stable-sort) order of ``x``."""
    if IS_FLOAT:
        v = x.to(tl.float64)
        v = tl.where(v != v, float("nan"), v + 0.0)  # one NaN, and -0.0 -> 0.0
        b = v.to(tl.int64, bitcast=True)
        key = tl.where(b < 0, b ^ 0x7FFFFFFFFFFFFFFF, b)  # negative floats: larger magnitude, smaller key
    else:
        key = x.to(tl.int64)
    if DESCENDING:
        key = ~key
    return key


@triton.jit
def _sort_chunks(x_ptr, out_ptr, key_ptr, n_segments, n_chunks, n_cols, R1, sx0, sx1, sxc, so0, so1, soc,
                 IS_FLOAT: tl.constexpr, DESCENDING: tl.constexpr, WRITE_KEYS: tl.constexpr,
                 SEGMENTS: tl.constexpr, CHUNK: tl.constexpr):
    """Sort SEGMENTS chunks of CHUNK columns each: out[row, chunk] = the chunk's columns, stably
    sorted by key (and key[row, chunk] = their keys when WRITE_KEYS; key_ptr: [rows, n_cols]
    contiguous). Segment s is chunk s % n_chunks of row s // n_chunks; rows are addressed as
    (row // R1, row % R1) through two strides, columns through one.

    Element i goes to its rank: the keys below its own plus the equal keys before it."""
    seg = tl.program_id(0).to(tl.int64) * SEGMENTS + tl.arange(0, SEGMENTS)
    rows = seg // n_chunks
    cols = (seg % n_chunks)[:, None] * CHUNK + tl.arange(0, CHUNK)[None, :]  # [SEGMENTS, CHUNK]
    m = (seg < n_segments)[:, None] & (cols < n_cols)
    x_rows = x_ptr + (rows // R1) * sx0 + (rows % R1) * sx1
    key = _key(tl.load(x_rows[:, None] + cols * sxc, mask=m, other=0), IS_FLOAT, DESCENDING)
    key = tl.where(m, key, 0x7FFFFFFFFFFFFFFF)  # padding: after every key (ties: a larger column)
    ki = key[:, :, None]  # [SEGMENTS, i, j]
    kj = key[:, None, :]
    earlier = (tl.arange(0, CHUNK)[None, :] < tl.arange(0, CHUNK)[:, None])[None, :, :]  # j < i
    rank = tl.sum(((kj < ki) | ((kj == ki) & earlier)).to(tl.int32), axis=2)
    dest = cols - tl.arange(0, CHUNK)[None, :] + rank
    out_rows = out_ptr + (rows // R1) * so0 + (rows % R1) * so1
    tl.store(out_rows[:, None] + dest * soc, cols, mask=m)
    if WRITE_KEYS:
        tl.store(key_ptr + rows[:, None] * n_cols + dest, key, mask=m)


@triton.jit
def _merge(key_ptr, idx_ptr, key_out, idx_out, total, n_cols, run, steps, R1, so0, so1, soc,
           WRITE_KEYS: tl.constexpr, BLOCK: tl.constexpr):
    """Merge each pair of sorted runs of length ``run`` of every row: key/idx [n_rows, n_cols]
    contiguous -> key_out/idx_out (contiguous; or only idx_out, addressed as in _sort_chunks,
    when not WRITE_KEYS). ``steps``: binary-search iterations, enough for ``run`` keys."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < total
    row = offs // n_cols
    p = offs % n_cols
    r = p // run
    right = (r % 2) == 1
    partner = (r ^ 1) * run
    k = tl.load(key_ptr + offs, mask=mask, other=0)
    v = tl.load(idx_ptr + offs, mask=mask, other=0)
    lo = tl.zeros_like(offs)
    hi = tl.minimum(tl.maximum(n_cols - partner, 0), run)
    base = key_ptr + row * n_cols + partner
    for _ in range(steps):  # lo = how many partner keys sort before k
        active = mask & (lo < hi)
        mid = (lo + hi) // 2
        km = tl.load(base + mid, mask=active, other=0)
        before = tl.where(right, km <= k, km < k)
        lo = tl.where(active & before, mid + 1, lo)
        hi = tl.where(active & (~before), mid, hi)
    dest = (r - r % 2) * run + p % run + lo
    if WRITE_KEYS:
        tl.store(key_out + row * n_cols + dest, k, mask=mask)
        tl.store(idx_out + row * n_cols + dest, v, mask=mask)
    else:
        tl.store(idx_out + (row // R1) * so0 + (row % R1) * so1 + dest * soc, v, mask=mask)


def argsort(a, axis, descending=False, chunk=None):
    """int64 indices (a's shape, contiguous) that sort DeviceArray ``a`` stably along ``axis``.

    Args:
        a (DeviceArray): any dtype, any strides. axis (int): the sorted dim.
        descending (bool): largest first (NaN first); ties keep their order either way.
        chunk (int): columns sorted in registers per program (a power of two <= MAX_CHUNK;
            default: the row length rounded up, at most MAX_CHUNK). Tests force small chunks to
            exercise many merge passes.
    """
    n_cols = a.shape[axis]
    out = empty(a.shape, np.int64)
    if out.numel() == 0:
        return out
    a, rows0, rows1, (x0, x1), (o0, o1) = rows_along(a, axis, out)
    n_rows, oc = rows0 * rows1, out.strides[axis]
    chunk = chunk or min(MAX_CHUNK, triton.next_power_of_2(n_cols))
    assert chunk & (chunk - 1) == 0 and chunk <= MAX_CHUNK, chunk
    n_chunks = triton.cdiv(n_cols, chunk)
    n_segments = n_rows * n_chunks
    tile, block = _sizes()
    segments = max(1, min(triton.next_power_of_2(n_segments), tile // chunk ** 2))
    flags = dict(IS_FLOAT=a.dtype.kind in "fV", DESCENDING=bool(descending),
                 SEGMENTS=segments, CHUNK=chunk)
    grid = (triton.cdiv(n_segments, segments),)
    prepare_launch()
    if n_chunks == 1:
        _sort_chunks[grid](a, out, out, n_segments, 1, n_cols, rows1, x0, x1, a.strides[axis], o0, o1, oc,
                           WRITE_KEYS=False, **flags)
        return out
    keys, idx = empty((n_rows, n_cols), np.int64), empty((n_rows, n_cols), np.int64)
    _sort_chunks[grid](a, idx, keys, n_segments, n_chunks, n_cols, rows1, x0, x1, a.strides[axis], rows1 * n_cols,
                       n_cols, 1, WRITE_KEYS=True, **flags)
    keys2, idx2 = empty((n_rows, n_cols), np.int64), empty((n_rows, n_cols), np.int64)
    total, run = n_rows * n_cols, chunk
    while run < n_cols:
        last = 2 * run >= n_cols
        _merge[(triton.cdiv(total, block),)](keys, idx, keys2, out if last else idx2, total, n_cols, run,
                                             run.bit_length(), rows1, o0, o1, oc, WRITE_KEYS=not last, BLOCK=block)
        keys, idx, keys2, idx2 = keys2, idx2, keys, idx
        run *= 2
    return out
