"""The strided copy kernel behind ``DeviceArray.copy_``, ``.contiguous()`` and ``.numpy()``.

Imported lazily (by ``transfer.copy``), so ``import tritorch.cuda`` does not import triton.
"""
import triton
import triton.language as tl

MAX_RANK = 4


@triton.jit
def _copy_strided(src_ptr, dst_ptr, n_elements, size1, size2, size3,
                  src_stride0, src_stride1, src_stride2, src_stride3,
                  dst_stride0, dst_stride1, dst_stride2, dst_stride3,
                  BLOCK: tl.constexpr):
    """dst[i0, i1, i2, i3] = src[i0, i1, i2, i3] converted to dst's dtype; both are 4-D views
    (size1, size2, size3 give the inner shape) addressed through their own element strides."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    i3 = offs % size3
    rest = offs // size3
    i2 = rest % size2
    rest = rest // size2
    i1 = rest % size1
    i0 = rest // size1
    src = src_ptr + i0 * src_stride0 + i1 * src_stride1 + i2 * src_stride2 + i3 * src_stride3
    dst = dst_ptr + i0 * dst_stride0 + i1 * dst_stride1 + i2 * dst_stride2 + i3 * dst_stride3
    x = tl.load(src, mask=mask)
    tl.store(dst, x.to(dst_ptr.dtype.element_ty), mask=mask)


def copy_strided(dst, src, shape, dst_strides, src_strides, block=1024):
    """Launch ``_copy_strided`` for views of rank <= MAX_RANK (shape and strides already collapsed)."""
    pad = MAX_RANK - len(shape)
    shape = (1,) * pad + tuple(shape)
    src_strides = (0,) * pad + tuple(src_strides)
    dst_strides = (0,) * pad + tuple(dst_strides)
    n = 1
    for size in shape:
        n *= size
    grid = (triton.cdiv(n, block),)
    _copy_strided[grid](src, dst, n, shape[1], shape[2], shape[3], *src_strides, *dst_strides, BLOCK=block)
