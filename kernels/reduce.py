"""Reductions over any set of axes, arg-reductions, two-pass row statistics (var, logsumexp)
and scans (cumsum, cumprod), on strided DeviceArrays.

Layout: the reduced axes are moved last with a strided view. The kept dims ("rows") and the
reduced dims ("columns") are each merged to at most two (``row = r0 * R1 + r1``, each part with
its own stride; the same for columns), else the input is first copied in that order. A program
reduces ``BLOCK_R`` rows, looping over their columns ``BLOCK_C`` at a time into a
``(BLOCK_R, BLOCK_C)`` accumulator, so short rows (a sum over dim 0) and long rows (a sum over
the last dim) both read whole blocks. When there are few rows and long columns, the columns
are split across programs into partial results (the accumulator's dtype) that a second launch
of the same kernel reduces: deterministic, no atomics.

Accumulation is float32 for float16/bfloat16/float32, float64 for float64, int64 for integers
and bool. ``amax``/``amin`` propagate NaN; ``argmax``/``argmin`` return the first extreme index,
and the first NaN when there is one, as PyTorch.

The numpy twin and test oracle of this family is the CPU backend (``tritorch/_dispatch/cpu``).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import empty
from tritorch.cuda.layout import collapse_dims

from ._harness import prepare_launch
from ._strided import rows_along
from ._math import max_nan, min_nan
from .elementwise import compute_kind

REDUCE_OPS = {"sum": 0, "prod": 1, "amax": 2, "amin": 3, "mean": 4, "all": 5, "any": 6, "count_nonzero": 7}
_ACC = {0: np.dtype(np.int64), 1: np.dtype(np.float32), 2: np.dtype(np.float64)}
_TL = {0: tl.int64, 1: tl.float32, 2: tl.float64}


# -- layout ----------------------------------------------------------------------------------------
def rows_layout(a, axes):
    """``(a', (R1, sr0, sr1), (C1, sc0, sc1), n_rows, n_cols)``: element (row, col) of the reduction
    of ``a`` over ``axes`` sits at ``(row // R1) * sr0 + (row % R1) * sr1 + (col // C1) * sc0 +
    (col % C1) * sc1`` from ``a'`` (``a`` itself, or a copy when its dims do not merge to two)."""
    axes = list(axes)
    kept = [d for d in range(a.ndim) if d not in axes]
    n_rows = int(np.prod([a.shape[d] for d in kept], dtype=np.int64))
    n_cols = int(np.prod([a.shape[d] for d in axes], dtype=np.int64))
    rows, (row_strides,) = collapse_dims([a.shape[d] for d in kept], [a.strides[d] for d in kept])
    cols, (col_strides,) = collapse_dims([a.shape[d] for d in axes], [a.strides[d] for d in axes])
    if len(rows) > 2 or len(cols) > 2:
        a = a.permute(kept + axes).contiguous()
        return a, (n_rows, 0, n_cols), (n_cols, 0, 1), n_rows, n_cols
    rows, row_strides = (1,) * (2 - len(rows)) + rows, (0,) * (2 - len(rows)) + row_strides
    cols, col_strides = (1,) * (2 - len(cols)) + cols, (0,) * (2 - len(cols)) + col_strides
    return a, (rows[1],) + row_strides, (cols[1],) + col_strides, n_rows, n_cols


def _blocks(n_rows, n_cols, block_c=None):
    block_c = block_c or min(triton.next_power_of_2(max(n_cols, 1)), 512)
    return max(1, min(triton.next_power_of_2(max(n_rows, 1)), 2048 // block_c)), block_c


# -- kernels ---------------------------------------------------------------------------------------
@triton.jit
def _offsets(idx, N1, s0, s1):
    return (idx // N1) * s0 + (idx % N1) * s1


@triton.jit
def _mul(a, b):
    return a * b


@triton.jit
def _last(a, a_col, b, b_col):
    """Combine of a reduction that keeps the value of the largest column index."""
    later = b_col > a_col
    return tl.where(later, b, a), tl.where(later, b_col, a_col)


@triton.jit
def _reduce(x_ptr, out_ptr, n_rows, n_cols, cols_per_split, R1, sr0, sr1, C1, sc0, sc1, scale,
            OP: tl.constexpr, KIND: tl.constexpr, ACC: tl.constexpr, FINAL: tl.constexpr, BLOCK_R: tl.constexpr,
            BLOCK_C: tl.constexpr):
    """out[split, row] = OP over the columns [split * cols_per_split, (split + 1) * cols_per_split)
    of each row. x_ptr: [n_rows, n_cols] addressed through (R1, sr0, sr1) and (C1, sc0, sc1);
    out_ptr: [splits, n_rows] contiguous. KIND: the accumulator type (0 int64, 1 fp32, 2 fp64)."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_R + tl.arange(0, BLOCK_R)
    start = tl.program_id(1).to(tl.int64) * cols_per_split
    row_ok = rows < n_rows
    x_rows = x_ptr + _offsets(rows, R1, sr0, sr1)
    acc = tl.zeros((BLOCK_R, BLOCK_C), ACC)
    if OP == 1 or OP == 5:
        acc = acc + 1
    elif OP == 2 and KIND == 0:
        acc = acc - 9223372036854775807 - 1
    elif OP == 2:
        acc = acc + float("-inf")
    elif OP == 3 and KIND == 0:
        acc = acc + 9223372036854775807
    elif OP == 3:
        acc = acc + float("inf")
    identity = acc
    for c in range(0, cols_per_split, BLOCK_C):
        cols = start + c + tl.arange(0, BLOCK_C)
        m = row_ok[:, None] & (cols < n_cols)[None, :] & (cols < start + cols_per_split)[None, :]
        v = tl.load(x_rows[:, None] + _offsets(cols, C1, sc0, sc1)[None, :], mask=m, other=0)
        if OP >= 5:
            v = (v != 0).to(tl.int64)
        v = tl.where(m, v.to(acc.dtype), identity)
        if OP == 1:
            acc = acc * v
        elif OP == 2:
            acc = max_nan(acc, v)
        elif OP == 3:
            acc = min_nan(acc, v)
        elif OP == 5:
            acc = tl.minimum(acc, v)
        elif OP == 6:
            acc = tl.maximum(acc, v)
        else:
            acc = acc + v
    if OP == 1:
        r = tl.reduce(acc, 1, _mul)
    elif OP == 2 or OP == 6:
        r = tl.max(acc, 1)
    elif OP == 3 or OP == 5:
        r = tl.min(acc, 1)
    else:
        r = tl.sum(acc, 1)
    if (OP == 2 or OP == 3) and KIND != 0:  # a NaN anywhere in the row wins
        r = tl.where(tl.max((acc != acc).to(tl.int32), 1) > 0, float("nan"), r)
    if OP == 4 and FINAL:
        r = r * scale
    tl.store(out_ptr + (start // cols_per_split) * n_rows + rows, r.to(out_ptr.dtype.element_ty), mask=row_ok)


@triton.jit
def _arg_reduce(x_ptr, out_ptr, n_rows, n_cols, R1, sr0, sr1, C1, sc0, sc1,
                IS_MAX: tl.constexpr, ACC: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr):
    """out[row] = the first column of each row's max (IS_MAX) or min, or its first NaN; int64.
    Each lane keeps its own best (value, first column); the lanes are merged at the end."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_R + tl.arange(0, BLOCK_R)
    row_ok = rows < n_rows
    x_rows = x_ptr + _offsets(rows, R1, sr0, sr1)
    none = n_cols + tl.zeros((BLOCK_R, BLOCK_C), tl.int64)  # "no index"
    first = tl.load(x_rows, mask=row_ok, other=0).to(ACC)  # every lane starts at column 0
    best = first[:, None] + tl.zeros((BLOCK_R, BLOCK_C), ACC)
    best_i = tl.zeros((BLOCK_R, BLOCK_C), tl.int64)
    nan_i = none
    for c in range(0, n_cols, BLOCK_C):
        cols = c + tl.arange(0, BLOCK_C).to(tl.int64)
        m = row_ok[:, None] & (cols < n_cols)[None, :]
        v = tl.load(x_rows[:, None] + _offsets(cols, C1, sc0, sc1)[None, :], mask=m, other=0).to(best.dtype)
        if IS_MAX:
            better = v > best
        else:
            better = v < best
        better = m & better
        best = tl.where(better, v, best)
        best_i = tl.where(better, cols[None, :] + 0 * best_i, best_i)
        nan_i = tl.where(m & (v != v) & (nan_i == none), cols[None, :] + 0 * nan_i, nan_i)
    if IS_MAX:
        top = tl.max(best, 1)
    else:
        top = tl.min(best, 1)
    top_i = tl.min(tl.where(best == top[:, None], best_i, none), 1)
    first_nan = tl.min(nan_i, 1)
    tl.store(out_ptr + rows, tl.where(first_nan < n_cols, first_nan, top_i), mask=row_ok)


@triton.jit
def _two_pass(x_ptr, out_ptr, n_rows, n_cols, R1, sr0, sr1, C1, sc0, sc1, divisor,
              OP: tl.constexpr, ACC: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr):
    """Per row: var (OP 0: sum of squared deviations from the mean / divisor) or logsumexp (OP 1:
    log sum exp(x - m) + m with m the row max, 0 when not finite). Two passes over the columns."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_R + tl.arange(0, BLOCK_R)
    row_ok = rows < n_rows
    x_rows = x_ptr + _offsets(rows, R1, sr0, sr1)
    acc = tl.zeros((BLOCK_R, BLOCK_C), ACC)
    if OP == 1:
        acc = acc + float("-inf")
    for c in range(0, n_cols, BLOCK_C):
        cols = c + tl.arange(0, BLOCK_C).to(tl.int64)
        m = row_ok[:, None] & (cols < n_cols)[None, :]
        v = tl.load(x_rows[:, None] + _offsets(cols, C1, sc0, sc1)[None, :], mask=m, other=0).to(acc.dtype)
        if OP == 0:
            acc = acc + tl.where(m, v, 0.0)
        else:
            acc = max_nan(acc, tl.where(m, v, float("-inf")))
    if OP == 0:
        center = tl.sum(acc, 1) / n_cols
    else:
        center = tl.max(acc, 1)
        center = tl.where(tl.max((acc != acc).to(tl.int32), 1) > 0, float("nan"), center)
        center = tl.where(tl.abs(center) == float("inf"), 0.0, center)
    acc = tl.zeros((BLOCK_R, BLOCK_C), ACC)
    for c in range(0, n_cols, BLOCK_C):
        cols = c + tl.arange(0, BLOCK_C).to(tl.int64)
        m = row_ok[:, None] & (cols < n_cols)[None, :]
        v = tl.load(x_rows[:, None] + _offsets(cols, C1, sc0, sc1)[None, :], mask=m, other=0).to(acc.dtype)
        d = v - center[:, None]
        if OP == 0:
            acc = acc + tl.where(m, d * d, 0.0)
        else:
            acc = acc + tl.where(m, tl.exp(d), 0.0)
    if OP == 0:
        r = tl.sum(acc, 1) / divisor
    else:
        r = tl.log(tl.sum(acc, 1)) + center
    tl.store(out_ptr + rows, r.to(out_ptr.dtype.element_ty), mask=row_ok)


@triton.jit
def _scan(x_ptr, out_ptr, n_rows, n_cols, R1, sxr0, sxr1, sxc, sor0, sor1, soc,
          OP: tl.constexpr, ACC: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr):
    """Inclusive cumsum (OP 0) or cumprod (OP 1) along the columns, BLOCK_C at a time with a carry.
    x_ptr, out_ptr: [n_rows, n_cols], rows addressed through (R1, s*r0, s*r1), columns by s*c."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_R + tl.arange(0, BLOCK_R)
    row_ok = rows < n_rows
    x_rows = x_ptr + _offsets(rows, R1, sxr0, sxr1)
    out_rows = out_ptr + _offsets(rows, R1, sor0, sor1)
    carry = tl.zeros((BLOCK_R,), ACC) + OP  # 0 for sums, 1 for products
    col = tl.broadcast_to(tl.arange(0, BLOCK_C)[None, :], (BLOCK_R, BLOCK_C))
    for c in range(0, n_cols, BLOCK_C):
        cols = c + tl.arange(0, BLOCK_C).to(tl.int64)
        m = row_ok[:, None] & (cols < n_cols)[None, :]
        v = tl.load(x_rows[:, None] + cols[None, :] * sxc, mask=m, other=OP).to(carry.dtype)
        if OP == 0:
            s = tl.cumsum(v, 1) + carry[:, None]
        else:
            s = tl.cumprod(v, 1) * carry[:, None]
        # The next carry is the block's last column, picked without arithmetic (signed zeros and NaN
        # kept). Not ``carry + tl.sum(v, 1)``: Triton 3.6's TritonGPUOptimizeThreadLocality pass fails
        # on that loop-carried reduction when v is loaded in the accumulator's dtype.
        carry, _ = tl.reduce((s, col), 1, _last)
        tl.store(out_rows[:, None] + cols[None, :] * soc, s.to(out_ptr.dtype.element_ty), mask=m)


# -- launchers -------------------------------------------------------------------------------------
def reduce(op, a, axes, out_dtype, block_c=None, splits=None):
    """``op`` (a REDUCE_OPS name) of DeviceArray ``a`` over ``axes`` (a tuple of dims).

    Returns a contiguous DeviceArray of the kept dims' shape (in order) and ``out_dtype``.
    ``block_c``/``splits`` force the column block and the number of column splits (tests).
    """
    kept_shape = tuple(n for d, n in enumerate(a.shape) if d not in axes)
    x, (R1, sr0, sr1), (C1, sc0, sc1), n_rows, n_cols = rows_layout(a, axes)
    out = empty(kept_shape, out_dtype)
    if n_rows == 0:
        return out
    kind = 0 if op in ("all", "any", "count_nonzero") else compute_kind(a.dtype)
    block_r, block_c = _blocks(n_rows, n_cols, block_c)
    if splits is None:
        few_rows = triton.cdiv(n_rows, block_r) < 64
        splits = min(triton.cdiv(n_cols, 8 * block_c), 256) if few_rows and n_cols > 16 * block_c else 1
    per_split = triton.cdiv(triton.cdiv(max(n_cols, 1), splits), block_c) * block_c
    splits = triton.cdiv(max(n_cols, 1), per_split)
    prepare_launch()
    if splits == 1:
        _launch_reduce(x, out, (R1, sr0, sr1, C1, sc0, sc1), n_rows, n_cols, per_split, 1, op, kind, True, block_c)
        return out
    partial = empty((splits, n_rows), _ACC[kind])
    _launch_reduce(x, partial, (R1, sr0, sr1, C1, sc0, sc1), n_rows, n_cols, per_split, splits, op, kind, False,
                   block_c)
    block_c = _blocks(n_rows, splits)[1]
    _launch_reduce(partial, out, (n_rows, 0, 1, splits, 0, n_rows), n_rows, splits,
                   triton.cdiv(splits, block_c) * block_c, 1, "sum" if op == "count_nonzero" else op, kind, True,
                   block_c, scale_cols=n_cols)
    return out


def _launch_reduce(x, out, layout, n_rows, n_cols, per_split, splits, op, kind, final, block_c, scale_cols=None):
    scale_cols = n_cols if scale_cols is None else scale_cols
    block_r, block_c = _blocks(n_rows, n_cols, block_c)
    _reduce[(triton.cdiv(n_rows, block_r), splits)](
        x, out, n_rows, n_cols, per_split, *layout, 1.0 / scale_cols if scale_cols else float("nan"),
        OP=REDUCE_OPS[op], KIND=kind, ACC=_TL[kind], FINAL=final, BLOCK_R=block_r, BLOCK_C=block_c)


def arg_reduce(op, a, axis):
    """First index (int64) of the max (``op`` "argmax") or min ("argmin") along ``axis``; the
    kept dims' shape. One program per ``BLOCK_R`` rows (an argmax over a whole large array runs
    in one program: correct, not fast)."""
    x, (R1, sr0, sr1), (C1, sc0, sc1), n_rows, n_cols = rows_layout(a, (axis,))
    out = empty(tuple(n for d, n in enumerate(a.shape) if d != axis), np.int64)
    if n_rows:
        block_r, block_c = _blocks(n_rows, n_cols)
        prepare_launch()
        _arg_reduce[(triton.cdiv(n_rows, block_r),)](x, out, n_rows, n_cols, R1, sr0, sr1, C1, sc0, sc1,
                                                     IS_MAX=op == "argmax", ACC=_TL[compute_kind(a.dtype)],
                                                     BLOCK_R=block_r, BLOCK_C=block_c)
    return out


def two_pass(op, a, axes, correction=0):
    """``var`` (with ``correction``) or ``logsumexp`` of ``a`` over ``axes``, a's dtype, the kept
    dims' shape (contiguous)."""
    x, (R1, sr0, sr1), (C1, sc0, sc1), n_rows, n_cols = rows_layout(a, axes)
    out = empty(tuple(n for d, n in enumerate(a.shape) if d not in axes), a.dtype)
    if n_rows:
        block_r, block_c = _blocks(n_rows, n_cols)
        divisor = float(n_cols - correction) if n_cols - correction > 0 else float("nan")
        prepare_launch()
        with np.errstate(all="ignore"):
            _two_pass[(triton.cdiv(n_rows, block_r),)](x, out, n_rows, n_cols, R1, sr0, sr1, C1, sc0, sc1, divisor,
                                                       OP=0 if op == "var" else 1, ACC=_TL[compute_kind(a.dtype)],
                                                       BLOCK_R=block_r, BLOCK_C=block_c)
    return out


def scan(op, a, axis, block_c=None):
    """Inclusive ``cumsum``/``cumprod`` of ``a`` along ``axis``: a new contiguous array, a's dtype."""
    out = empty(a.shape, a.dtype)
    if out.numel() == 0:
        return out
    a, rows0, rows1, (x0, x1), (o0, o1) = rows_along(a, axis, out)
    n_rows, n_cols = rows0 * rows1, a.shape[axis]
    block_r, block_c = _blocks(n_rows, n_cols, block_c)
    prepare_launch()
    _scan[(triton.cdiv(n_rows, block_r),)](a, out, n_rows, n_cols, rows1, x0, x1, a.strides[axis], o0, o1,
                                           out.strides[axis], OP=0 if op == "cumsum" else 1,
                                           ACC=_TL[compute_kind(a.dtype)], BLOCK_R=block_r, BLOCK_C=block_c)
    return out
