"""What the strided elementwise-style families share (elementwise, indexing, random): a launcher
that walks a common index space of several strided DeviceArray views, and the index arithmetic.

The index space is the views' common shape; neighbouring dims that every view can address with
one stride are merged (``collapse_dims``), so kernels see at most ``MAX_RANK`` dims and take, per
view, four element strides (0 where broadcast). More dims (rare) are peeled off in Python.
"""
import numpy as np
import triton
import triton.language as tl  # noqa: F401  (Triton requires it in the scope of jit functions)

from tritorch.cuda import DeviceArray
from tritorch.cuda.layout import collapse_dims

from ._harness import prepare_launch

MAX_RANK = 4
BLOCK = 1024


@triton.jit
def unravel(offs, size1, size2, size3):
    """Flat index ``offs`` (int64) -> (i0, i1, i2, i3) in an (*, size1, size2, size3) index space."""
    i3 = offs % size3
    rest = offs // size3
    i2 = rest % size2
    rest = rest // size2
    return rest // size1, rest % size1, i2, i3


def dummy_view(like):
    """A view with stride 0 everywhere (stands in for an absent or scalar operand)."""
    return DeviceArray(like.storage, like.shape, like.dtype, (0,) * like.ndim, like.offset)


def launch(kernel, views, args, constexprs, block=BLOCK):
    """``kernel[grid](*views, *args, n, size1, size2, size3, *strides, **constexprs, BLOCK=block)``.

    Args:
        views (list of DeviceArray): views of one shape (the index space); the first is usually
            the output. ``strides`` is four element strides per view, in order.
        args (list): scalar kernel arguments passed after the pointers.
    """
    shape = views[0].shape
    n = int(np.prod(shape, dtype=np.int64))
    if n == 0:
        return
    collapsed, strides = collapse_dims(shape, *[v.strides for v in views])
    if len(collapsed) > MAX_RANK:  # rare: peel off the outermost dimension
        for i in range(shape[0]):
            launch(kernel, [v[i] for v in views], args, constexprs, block)
        return
    pad = MAX_RANK - len(collapsed)
    sizes = (1,) * pad + tuple(collapsed)
    flat = [s for st in strides for s in (0,) * pad + tuple(st)]
    prepare_launch()
    with np.errstate(all="ignore"):  # the interpreter computes with numpy; IEEE results are intended
        kernel[(triton.cdiv(n, block),)](*views, *args, n, sizes[1], sizes[2], sizes[3], *flat, **constexprs,
                                         BLOCK=block)


def rows_along(a, axis, out):
    """View the rows of ``a`` and ``out`` (same shape) along ``axis`` as a 2-D grid of rows.

    Returns ``(a, rows0, rows1, (x0, x1), (o0, o1))``: ``a`` (made contiguous when its other dims
    cannot be folded into two), the outer and inner row counts, and both arrays' strides for the
    two row dims; row r is (r // rows1, r % rows1)."""
    kept = [d for d in range(a.ndim) if d != axis]

    def fold(a):
        return collapse_dims([a.shape[d] for d in kept], [a.strides[d] for d in kept],
                             [out.strides[d] for d in kept])
    shape, strides = fold(a)
    if len(shape) > 2:
        a = a.contiguous()
        shape, strides = fold(a)
    pad = 2 - len(shape)
    shape = (1,) * pad + shape
    (x0, x1), (o0, o1) = [(0,) * pad + s for s in strides]
    return a, shape[0], shape[1], (x0, x1), (o0, o1)
