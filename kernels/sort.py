"""Stable argsort along one dim for rows that fit in one block (up to ``MAX_COLS`` columns) of
dtypes up to 32 bits (float32/float16/bfloat16, int32 and narrower, bool).

Each element becomes a 64-bit word ``key << 32 | column``: ``key`` is an order-preserving
unsigned image of the value (floats: sign-magnitude flipped, NaN above +inf, -0.0 equal to 0.0;
complemented for descending order), so one ``tl.sort`` of the words sorts by value and breaks
ties by column: a stable sort, NaN last ascending and first descending, as PyTorch. Padding
lanes get the largest key and a column past the end, so they sort last.

Float64 and int64 keys (which leave no room for the column) and longer rows are not handled
here: ``argsort`` returns None and the caller takes another path.

The numpy twin and test oracle is the CPU backend's ``sort`` (``np.argsort(kind="stable")``).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import empty

from ._harness import prepare_launch
from ._strided import rows_along

MAX_COLS = 4096


@triton.jit
def _argsort_rows(x_ptr, idx_ptr, n_rows, n_cols, R1, sx0, sx1, sxc, so0, so1, soc,
                  DESCENDING: tl.constexpr, IS_FLOAT: tl.constexpr, BLOCK: tl.constexpr):
    """idx[row, :] = the stable argsort of x[row, :]; one row per program. Rows are addressed as
    (row // R1, row % R1) through two strides, columns through one."""
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    m = cols < n_cols
    x_row = x_ptr + (row // R1) * sx0 + (row % R1) * sx1
    if IS_FLOAT:
        x = tl.load(x_row + cols * sxc, mask=m, other=0).to(tl.float32)
        x = tl.where(x != x, float("nan"), x + 0.0)  # one NaN, and -0.0 -> 0.0
        bits = x.to(tl.uint32, bitcast=True)
        key = tl.where((bits >> 31) != 0, ~bits, bits | 0x80000000)
    else:
        x = tl.load(x_row + cols * sxc, mask=m, other=0).to(tl.int32)
        key = x.to(tl.uint32, bitcast=True) ^ 0x80000000
    if DESCENDING:
        key = ~key
    key = tl.where(m, key, 0xFFFFFFFF)
    words = tl.sort((key.to(tl.uint64) << 32) | cols.to(tl.uint64))
    out_row = idx_ptr + (row // R1) * so0 + (row % R1) * so1
    tl.store(out_row + cols * soc, (words & 0xFFFFFFFF).to(tl.int64), mask=m)


def argsort(a, axis, descending=False):
    """int64 indices (a's shape, contiguous) that sort DeviceArray ``a`` stably along ``axis``, or
    None when this kernel does not apply (64-bit dtypes, rows longer than MAX_COLS)."""
    n_cols = a.shape[axis]
    if a.dtype.itemsize > 4 or n_cols > MAX_COLS:
        return None
    out = empty(a.shape, np.int64)
    if out.numel() == 0:
        return out
    a, rows0, rows1, (x0, x1), (o0, o1) = rows_along(a, axis, out)
    prepare_launch()
    _argsort_rows[(rows0 * rows1,)](a, out, rows0 * rows1, n_cols, rows1, x0, x1, a.strides[axis],
                                          o0, o1, out.strides[axis], DESCENDING=bool(descending),
                                          IS_FLOAT=a.dtype.kind in "fV", BLOCK=triton.next_power_of_2(n_cols))
    return out
