"""Indexing by index arrays: gather/take (reads) and scatter/put (writes, replace or add).

Every op here is one strided walk over an index space (``kernels._strided``) with three views:
the output or destination, the source or values, and an int64 (or int32) index array, each
with its own strides (0 where broadcast). The element read or written is at
``base(i) + wrap(index(i)) * stride`` where ``wrap`` adds ``size`` to negative indices: gather,
index_select, scatter and index_add are this with the indexed dim's stride 0 in the base view;
advanced indexing with several index arrays first folds them into one array of element offsets
(``index_offsets``) and then walks with ``stride = 1``.

Out-of-range indices are clamped into the valid range, so no memory outside the array is
touched, and they set ``tritorch.cuda.error_flag()``: the next synchronisation that hands data to
the host raises ``DeviceIndexError`` (PyTorch's device-side assert, in effect). Additive scatters use atomics
(``tl.atomic_add``): integer results are exact, float sums may differ in the last bits from run
to run when an index repeats; replacing scatters with repeated indices keep one of the values,
unspecified which (as PyTorch on CUDA).

The numpy twin and test oracle of this family is the CPU backend (``tritorch/_dispatch/cpu``).
"""
import triton
import triton.language as tl

from tritorch.cuda import empty, error_flag

from ._harness import prepare_launch
from ._strided import launch, unravel


@triton.jit
def _position(idx_ptr, err_ptr, i0, i1, i2, i3, si0, si1, si2, si3, mask, size, stride, WRAP: tl.constexpr,
              NEGATIVE: tl.constexpr):
    """The element offset an index selects: wrapped and clamped into [0, size) times stride, or the
    raw offset when WRAP is off (offsets folded by ``index_offsets``). An index outside
    [-size, size) ([0, size) without NEGATIVE) sets the error flag ``err_ptr[0]``."""
    k = tl.load(idx_ptr + i0 * si0 + i1 * si1 + i2 * si2 + i3 * si3, mask=mask, other=0).to(tl.int64)
    if WRAP:
        low = -size if NEGATIVE else 0
        tl.store(err_ptr + k * 0, 1, mask=mask & ((k < low) | (k >= size)))
        k = tl.where(k < 0, k + size, k)
        k = tl.minimum(tl.maximum(k, 0), size - 1)
        k = k * stride
    return k


@triton.jit
def _gather(out_ptr, src_ptr, idx_ptr, err_ptr, size, stride, n, size1, size2, size3,
            so0, so1, so2, so3, ss0, ss1, ss2, ss3, si0, si1, si2, si3, WRAP: tl.constexpr, NEGATIVE: tl.constexpr,
            BLOCK: tl.constexpr):
    """out[i] = src[base(i) + position(idx[i])]; all three addressed over one index space."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    i0, i1, i2, i3 = unravel(offs, size1, size2, size3)
    k = _position(idx_ptr, err_ptr, i0, i1, i2, i3, si0, si1, si2, si3, mask, size, stride, WRAP, NEGATIVE)
    v = tl.load(src_ptr + i0 * ss0 + i1 * ss1 + i2 * ss2 + i3 * ss3 + k, mask=mask)
    tl.store(out_ptr + i0 * so0 + i1 * so1 + i2 * so2 + i3 * so3, v, mask=mask)


@triton.jit
def _scatter(dst_ptr, val_ptr, idx_ptr, err_ptr, size, stride, n, size1, size2, size3,
             sd0, sd1, sd2, sd3, sv0, sv1, sv2, sv3, si0, si1, si2, si3,
             WRAP: tl.constexpr, NEGATIVE: tl.constexpr, ADD: tl.constexpr, BLOCK: tl.constexpr):
    """dst[base(i) + position(idx[i])] = val[i] (ADD: += with atomics)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    i0, i1, i2, i3 = unravel(offs, size1, size2, size3)
    k = _position(idx_ptr, err_ptr, i0, i1, i2, i3, si0, si1, si2, si3, mask, size, stride, WRAP, NEGATIVE)
    v = tl.load(val_ptr + i0 * sv0 + i1 * sv1 + i2 * sv2 + i3 * sv3, mask=mask)
    ptrs = dst_ptr + i0 * sd0 + i1 * sd1 + i2 * sd2 + i3 * sd3 + k
    if ADD:
        tl.atomic_add(ptrs, v.to(dst_ptr.dtype.element_ty), mask=mask)
    else:
        tl.store(ptrs, v.to(dst_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _fold(off_ptr, idx_ptr, err_ptr, size, stride, n, size1, size2, size3,
          so0, so1, so2, so3, si0, si1, si2, si3, BLOCK: tl.constexpr):
    """off[i] += position(idx[i]) (wrapped, clamped, times stride)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    i0, i1, i2, i3 = unravel(offs, size1, size2, size3)
    k = _position(idx_ptr, err_ptr, i0, i1, i2, i3, si0, si1, si2, si3, mask, size, stride, True, True)
    ptrs = off_ptr + i0 * so0 + i1 * so1 + i2 * so2 + i3 * so3
    tl.store(ptrs, tl.load(ptrs, mask=mask, other=0) + k, mask=mask)


@triton.jit
def _check_range(idx_ptr, err_ptr, n, size, low, ignore, HAS_IGNORE: tl.constexpr, BLOCK: tl.constexpr):
    """err[0] = 1 if any of the n contiguous indices lies outside [low, size) and is not ``ignore``."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    k = tl.load(idx_ptr + offs, mask=mask, other=0).to(tl.int64)
    bad = mask & ((k < low) | (k >= size))
    if HAS_IGNORE:
        bad = bad & (k != ignore)
    tl.store(err_ptr + k * 0, 1, mask=bad)


@triton.jit
def _compact(pos_ptr, flag_ptr, csum_ptr, n, BLOCK: tl.constexpr):
    """pos[csum[i] - 1] = i where flag[i] (the flat positions of the nonzeros, in order)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    flag = tl.load(flag_ptr + offs, mask=mask, other=0) != 0
    slot = tl.load(csum_ptr + offs, mask=mask, other=1) - 1
    tl.store(pos_ptr + slot, offs, mask=mask & flag)


def gather(out, src, idx, size, stride, wrap=True, negative=True):
    """``out[i] = src[i + wrap(idx[i]) * stride]``: out, src, idx DeviceArray views of one shape
    (src's view has stride 0 along the indexed dim; ``size`` is that dim's length). Returns out.
    ``negative=False``: an index below 0 is out of range too (PyTorch's gather, index_select)."""
    launch(_gather, [out, src, idx], [error_flag(), size, stride], dict(WRAP=wrap, NEGATIVE=bool(negative)))
    return out


def scatter(dst, values, idx, size, stride, add, wrap=True, negative=True):
    """``dst[i + wrap(idx[i]) * stride] = values[i]`` (``add``: ``+=``), in place; views of one shape.
    ``add`` needs a dtype with atomics (32 or 64 bits; the cuda backend widens narrower ones).
    ``negative=False``: an index below 0 is out of range too (PyTorch's scatter, scatter_add)."""
    launch(_scatter, [dst, values, idx], [error_flag(), size, stride],
           dict(WRAP=wrap, NEGATIVE=bool(negative), ADD=bool(add)))
    return dst


def fold_offset(off, idx, size, stride):
    """``off += wrap(idx) * stride`` in place (off: an int64 array; idx: broadcast to its shape)."""
    launch(_fold, [off, idx.broadcast_to(off.shape)], [error_flag(), size, stride], {})
    return off


def check_range(idx, size, allow_negative=True, ignore=None):
    """Set ``error_flag()`` if contiguous 1-D int ``idx`` holds an index outside [-size, size)
    ([0, size) without ``allow_negative``) other than ``ignore`` (e.g. cross-entropy's ignore_index)."""
    n = idx.numel()
    if n:
        prepare_launch()
        _check_range[(triton.cdiv(n, 1024),)](idx, error_flag(), n, size, -size if allow_negative else 0,
                                                  0 if ignore is None else int(ignore), HAS_IGNORE=ignore is not None,
                                                  BLOCK=1024)


def compact(flags, csum, count):
    """The flat positions (int64, ``(count,)``) where contiguous 1-D ``flags`` is nonzero, given its
    inclusive cumulative sum ``csum``."""
    pos = empty((count,), "int64")
    n = flags.numel()
    if count:
        prepare_launch()
        _compact[(triton.cdiv(n, 1024),)](pos, flags, csum, n, BLOCK=1024)
    return pos
