"""Helpers the row-wise kernel families (layer norm, cross-entropy) share: 2-D row views."""
import numpy as np


def rows_view(x, n_cols):
    """``x`` ``(..., n_cols)`` (or ``(..., *inner)`` with ``prod(inner) == n_cols``) viewed as
    ``(rows, n_cols)``; a contiguous copy when no view exists."""
    shape = (int(np.prod(x.shape, dtype=np.int64)) // max(n_cols, 1) if n_cols else 0, n_cols)
    try:
        return x.reshape(shape)
    except ValueError:
        return x.contiguous().reshape(shape)


def rows_out(out, shape2d):
    """A ``shape2d`` view of an ``out=`` buffer, or None when none exists (the caller computes into
    a temporary and copies)."""
    try:
        return out.reshape(shape2d)
    except ValueError:
        return None
