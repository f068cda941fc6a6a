"""Advanced indexing, gather/scatter and masks on the device (`tritorch.kernels.indexing`).

Integer index arrays follow numpy's rules (PyTorch's): they broadcast together; when they sit
next to each other their broadcast shape replaces the indexed dims in place, else it goes first.
Boolean masks become index arrays through `nonzero`, which reads the count to the host (the one
synchronisation, as in PyTorch). Out-of-range indices are clamped and reported at the next synchronisation (`tritorch.cuda.errors`).
`index_add` (and so embedding's backward) is deterministic: sort + segmented sums, no atomics;
`scatter(reduce="add")` and `index_put(accumulate=True)` still accumulate with atomics.
"""
import numpy as np

from tritorch import cuda
from tritorch.cuda import DeviceArray
from tritorch.kernels import indexing as _k
from tritorch.kernels.elementwise import elementwise
from tritorch.kernels.reduce import scan
from tritorch.kernels.segment import segment_add
from tritorch.kernels.sort import argsort

from .creation import full
from .elementwise import cast

# additive scatters accumulate these dtypes in a wider one (atomics need 32 bits or more, and
# Triton's interpreter has no bfloat16 atomics); the sum is rounded or wrapped once at the end
_WIDE = {np.dtype(np.float16): np.float32, cuda.as_dtype("bfloat16"): np.float32, np.dtype(np.bool_): np.int32,
         np.dtype(np.int8): np.int32, np.dtype(np.int16): np.int32, np.dtype(np.uint8): np.int32}


def _widened(fn, a, values, *args):
    """fn(a, ..., values, ...) run in a's wide dtype and cast back (see _WIDE)."""
    wide = _WIDE[a.dtype]
    values = cast(values, wide) if isinstance(values, DeviceArray) else values
    return cast(fn(cast(a, wide), values, *args), a.dtype)

__all__ = ["take", "index_put", "gather", "scatter", "index_select", "index_add", "masked_select", "nonzero",
           "check_index_range"]


def _along(a, shape, axis, stride=0):
    """A view of a's storage over `shape` with a's strides, except `stride` along `axis`."""
    strides = list(a.strides[:len(shape)]) if a.ndim == len(shape) else [0] * len(shape)
    strides[axis] = stride
    return DeviceArray(a.storage, shape, a.dtype, strides, a.offset)


def _as_values(v, shape, dtype):
    """values (a DeviceArray or a scalar) broadcast to `shape`; ValueError when they do not."""
    if not isinstance(v, DeviceArray):
        v = full((), v, dtype)
    try:
        return v.broadcast_to(shape)
    except ValueError:
        raise ValueError(f"shape mismatch: value array of shape {v.shape} could not be broadcast to indexing "
                         f"result of shape {tuple(shape)}") from None


def gather(a, axis, idx):
    out = cuda.empty(idx.shape, a.dtype)
    return _k.gather(out, _along(a, idx.shape, axis), idx, a.shape[axis], a.strides[axis], negative=False)


def scatter(a, axis, idx, src, reduce):
    """Out of place scatter along `axis`: reduce None (replace) or 'add'. src: array or scalar."""
    if reduce == "add" and a.dtype in _WIDE:
        return _widened(lambda w, v: scatter(w, axis, idx, v, reduce), a, src)
    out = a.clone()
    if isinstance(src, DeviceArray):
        src = src[tuple(slice(0, n) for n in idx.shape)]
    values = _as_values(src, idx.shape, a.dtype)
    _k.scatter(_along(out, idx.shape, axis), values, idx, a.shape[axis], out.strides[axis], reduce == "add",
               negative=False)
    return out


def index_select(a, axis, idx):
    shape = a.shape[:axis] + (idx.shape[0],) + a.shape[axis + 1:]
    out = cuda.empty(shape, a.dtype)
    index = DeviceArray(idx.storage, shape, idx.dtype, [idx.strides[0] if d == axis else 0 for d in range(a.ndim)],
                        idx.offset)
    return _k.gather(out, _along(a, shape, axis), index, a.shape[axis], a.strides[axis], negative=False)


def index_add(a, axis, idx, src):
    """A copy of `a` with the slices of `src` along `axis` added at the slots `idx` (1-D int; a slot
    outside [0, size), negative ones too, is clamped and reported at the next synchronisation: PyTorch
    raises for it). Deterministic, no atomics: the slots are stably argsorted and each one sums its
    slices in their order (`kernels.segment`), so two runs give the same bits, and float32/float64
    the bits of the CPU's sequential np.add.at.
    Embedding's backward is this op."""
    size = a.shape[axis]
    check_index_range(idx, size, False)
    neg = elementwise("lt", [idx, 0])
    keys = elementwise("where", [neg, elementwise("add", [idx, size], np.int64, compute=np.int64), idx], np.int64,
                       compute=np.int64)
    keys = elementwise("clamp", [keys, 0, max(size - 1, 0)], np.int64, compute=np.int64)
    order = argsort(keys, 0)
    outer, inner = int(np.prod(a.shape[:axis], dtype=np.int64)), int(np.prod(a.shape[axis + 1:], dtype=np.int64))
    out = segment_add(_reshape(a, (outer, size, inner)), _reshape(src, (outer, idx.shape[0], inner)),
                      gather(keys, 0, order), order)
    return out.reshape(a.shape)


def _reshape(x, shape):
    try:
        return x.reshape(shape)
    except ValueError:
        return x.contiguous().reshape(shape)


def nonzero(a):
    """(count, ndim) int64 coordinates of the nonzero elements, row-major order. Reads the count."""
    flags = elementwise("ne", [a, 0], np.int64).reshape(-1)
    csum = scan("cumsum", flags, 0)
    count = int(csum[-1:].numpy()[0]) if flags.numel() else 0
    out = cuda.empty((count, a.ndim), np.int64)
    pos = _k.compact(flags, csum, count)
    for d in range(a.ndim):  # coordinate d = (pos // prod(shape[d+1:])) % shape[d]
        inner = int(np.prod(a.shape[d + 1:], dtype=np.int64))
        coord = elementwise("floor_divide", [pos, inner], np.int64)
        elementwise("remainder", [coord, a.shape[d]], np.int64, out=out[:, d])
    return out


def masked_select(a, mask):
    shape = tuple(np.broadcast_shapes(a.shape, mask.shape))
    return take(a.broadcast_to(shape), (mask.broadcast_to(shape),))


def _plan(a, index):
    """(view, offsets, wrap): a strided `view` of a's storage over the shape of a[index] (stride 0 on
    the broadcast index dims) and `offsets` over that shape, such that element i of a[index] is
    the element at view(i) + wrap(offsets(i)). `wrap` is (size, stride) of the indexed dim when one
    index array is used as is, else None (the arrays are folded into element offsets first)."""
    index = list(index)
    consumed = sum(i.ndim if isinstance(i, DeviceArray) and i.dtype == np.bool_ else 1
                   for i in index if i is not None and i is not Ellipsis)
    if consumed > a.ndim:
        raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index[at:at + 1] = [slice(None)] * (a.ndim - consumed)
    basic, advanced = [], []  # advanced: (dim of the view, an index array, or an int)
    for item in index:
        if item is None or isinstance(item, slice):
            basic.append(item)
            continue
        if isinstance(item, DeviceArray) and item.dtype == np.bool_ and item.ndim == 0:
            basic.append(None)  # True/False: a new axis of size 1, indexed by [0] or []
            advanced.append((len(basic) - 1, full((int(item.numpy()),), 0, np.int64)))
        elif isinstance(item, DeviceArray) and item.dtype == np.bool_:
            coords = nonzero(item)  # reads the count: the synchronisation PyTorch makes too
            for j in range(item.ndim):
                basic.append(slice(None))
                advanced.append((len(basic) - 1, coords[:, j]))
        elif isinstance(item, DeviceArray):
            basic.append(slice(None))
            advanced.append((len(basic) - 1, item))
        else:  # an int among index arrays counts as one of them (numpy)
            dim = sum(b is not None for b in basic)
            if not -a.shape[dim] <= item < a.shape[dim]:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {a.shape[dim]}")
            basic.append(slice(None))
            advanced.append((len(basic) - 1, int(item) % a.shape[dim]))
    view = a[tuple(basic)]
    positions = [p for p, _ in advanced]
    arrays = [(p, x) for p, x in advanced if isinstance(x, DeviceArray)]
    try:
        bshape = tuple(np.broadcast_shapes(*[x.shape for _, x in arrays]))
    except ValueError:
        shapes = ", ".join(str(list(x.shape)) for _, x in arrays)
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes "
                         f"{shapes}") from None
    base = view.offset + sum(x * view.strides[p] for p, x in advanced if not isinstance(x, DeviceArray))
    if positions == list(range(positions[0], positions[0] + len(positions))):  # adjacent: in place
        lead, trail = positions[0], view.ndim - positions[-1] - 1
        shape = view.shape[:lead] + bshape + view.shape[positions[-1] + 1:]
        strides = view.strides[:lead] + (0,) * len(bshape) + view.strides[positions[-1] + 1:]
    else:  # apart: the broadcast dims go first
        rest = [d for d in range(view.ndim) if d not in positions]
        lead, trail = 0, len(rest)
        shape = bshape + tuple(view.shape[d] for d in rest)
        strides = (0,) * len(bshape) + tuple(view.strides[d] for d in rest)
    if len(advanced) == 1:
        p, x = arrays[0]
        idx, wrap = x, (view.shape[p], view.strides[p])
    else:
        idx, wrap = full(bshape, 0, np.int64), None
        for p, x in arrays:
            _k.fold_offset(idx, x, view.shape[p], view.strides[p])
    idx = idx.broadcast_to(bshape)
    return (DeviceArray(view.storage, shape, view.dtype, strides, base),
            DeviceArray(idx.storage, shape, idx.dtype, (0,) * lead + idx.strides + (0,) * trail, idx.offset), wrap)


def take(a, index):
    """a[index] with integer-array and boolean-array entries (numpy's rules are PyTorch's)."""
    src, idx, wrap = _plan(a, index)
    out = cuda.empty(src.shape, a.dtype)
    size, stride = wrap or (0, 1)
    return _k.gather(out, src, idx, size, stride, wrap is not None)


def index_put(a, index, values, accumulate):
    """Out of place: a copy of `a` with a[index] = values (or += with accumulate, summing repeats)."""
    if accumulate and a.dtype in _WIDE:
        return _widened(lambda w, v: index_put(w, index, v, True), a, values)
    out = a.clone()
    dst, idx, wrap = _plan(out, index)
    size, stride = wrap or (0, 1)
    _k.scatter(dst, _as_values(values, dst.shape, a.dtype), idx, size, stride, accumulate, wrap is not None)
    return out


def check_index_range(idx, size, allow_negative):
    """Flag (`tritorch.cuda.error_flag`) any index outside [-size, size) ([0, size) without
    allow_negative): raised at the next synchronisation, no sync here."""
    _k.check_range(idx.contiguous().reshape(-1), size, allow_negative)
