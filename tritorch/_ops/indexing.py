"""Indexing: __getitem__ / __setitem__ with PyTorch's (numpy's) rules, gather/scatter and masks.

Basic indices (ints, slices, None, ...) give views. Integer or boolean tensors/lists give copies
through `Take`, whose backward accumulates into the indexed positions (repeats add up).
"""
import numpy as np

from .. import _dtype
from ..autograd.function import Function
from ._util import data_on, is_tensor, wrap
from .shape import _as_view


def _is_basic(item):
    return item is None or item is Ellipsis or isinstance(item, (int, np.integer, slice)) and not isinstance(
        item, bool)


def _normalize(index):
    return index if isinstance(index, tuple) else (index,)


def _check_basic(x, index):
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
    if consumed > x.dim():
        raise IndexError(f"too many indices for tensor of dimension {x.dim()}")
    dim = 0
    for i, item in enumerate(index):
        if item is Ellipsis:
            dim += x.dim() - consumed
        elif item is None:
            continue
        else:
            if isinstance(item, slice) and item.step is not None and item.step <= 0:
                raise ValueError("step must be greater than zero")
            if isinstance(item, (int, np.integer)) and not -x.shape[dim] <= item < x.shape[dim]:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {x.shape[dim]}")
            dim += 1


def _mask_shape(item):
    """The shape of a boolean mask inside an index (a bool tensor, array or list), else None."""
    if is_tensor(item):
        return tuple(item.shape) if item.dtype is _dtype.bool_ else None
    if isinstance(item, (list, np.ndarray)):
        arr = np.asarray(item)
        return arr.shape if arr.dtype == np.bool_ else None
    return None


def _check_masks(x, index):
    """IndexError, in PyTorch's words, for a boolean mask whose shape differs from the dims it covers
    (on cuda it would otherwise surface only at the next synchronisation, as an index out of range)."""
    n_ellipsis = x.dim() - sum(len(_mask_shape(i) or (0,)) for i in index if i is not None and i is not Ellipsis)
    view, masks, d = [], [], 0
    for item in index:
        shape = _mask_shape(item)
        if item is None or isinstance(item, bool):
            view.append(1)
        elif item is Ellipsis:
            view.extend(x.shape[d:d + n_ellipsis])
            d += n_ellipsis
        elif shape is not None:
            masks.append((len(view), shape))
            view.extend(x.shape[d:d + len(shape)])
            d += len(shape)
        elif d >= x.dim():
            return  # too many indices: the indexing itself says so
        elif isinstance(item, (int, np.integer)):
            d += 1
        else:
            view.append(len(range(x.shape[d])[item]) if isinstance(item, slice) else x.shape[d])
            d += 1
    view.extend(x.shape[d:])
    for at, shape in masks:
        for j, n in enumerate(shape):
            if at + j < len(view) and n != view[at + j]:
                raise IndexError(f"The shape of the mask {list(shape)} at index {j} does not match the shape of the "
                                 f"indexed tensor {view} at index {at + j}")


def _to_backend_index(x, index):
    """Tensors, lists and bools inside an index -> arrays on x's device (int64 or bool)."""
    out = []
    for item in index:
        if is_tensor(item):
            if item.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(data_on(item, x.device))
        elif isinstance(item, (list, np.ndarray)) or isinstance(item, bool):
            arr = np.asarray(item)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(x._b.asarray(arr, arr.dtype) if x.device.type != "cpu" else arr)
        else:
            out.append(item)
    return tuple(out)


class BasicIndex(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.meta = (x.shape, index)
        return _as_view(wrap(x._b.basic_index(x._data, index), x.device), x, lambda t: t[index])

    @staticmethod
    def backward(ctx, g):
        shape, index = ctx.meta
        out = g.new_zeros(shape)
        out[index] = g
        return out, None


class Take(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.meta = (x.shape, index)
        return wrap(x._b.take(x._data, index), x.device)

    @staticmethod
    def backward(ctx, g):
        shape, index = ctx.meta
        return IndexPut.apply(g.new_zeros(shape), index, g, True), None


class IndexPut(Function):
    """A copy of x with x[index] = value (accumulate: +=). Index already in backend form."""

    @staticmethod
    def forward(ctx, x, index, value, accumulate):
        ctx.meta = (index, accumulate, value.shape if is_tensor(value) else None)
        v = data_on(value, x.device, x.dtype) if is_tensor(value) else value
        try:
            out = x._b.index_put(x._data, index, v, accumulate)
        except ValueError as e:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(ctx.meta[2] or [])} cannot be "
                               f"broadcast to indexing result of tensor of shape {list(x.shape)} ({e})") from None
        return wrap(out, x.device)

    @staticmethod
    def backward(ctx, g):
        index, accumulate, vshape = ctx.meta
        gx = g if accumulate else IndexPut.apply(g, index, 0, False)
        gv = None
        if vshape is not None and ctx.needs_input_grad[2]:
            gv = Take.apply(g, index).sum_to_size(vshape) if tuple(vshape) else Take.apply(g, index).sum()
        return gx, None, gv, None


def getitem(input, index):
    index = _normalize(index)
    if all(_is_basic(i) for i in index):
        _check_basic(input, index)
        return BasicIndex.apply(input, index)
    _check_masks(input, index)
    return Take.apply(input, _to_backend_index(input, index))


def setitem(input, index, value):
    from .inplace import apply_inplace, snapshot
    index = _normalize(index)
    if all(_is_basic(i) for i in index):
        _check_basic(input, index)
        getitem(input, index).copy_(value)
        return
    if is_tensor(value) and value.device != input.device and value.dim() > 0:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {value.device}!")
    _check_masks(input, index)
    idx = _to_backend_index(input, index)
    apply_inplace(input, IndexPut.apply(snapshot(input, value), idx, value, False))


def index_put(input, indices, values, accumulate=False):
    return IndexPut.apply(input, _to_backend_index(input, tuple(indices)), values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    from .inplace import apply_inplace, snapshot
    return apply_inplace(input, index_put(snapshot(input, values), indices, values, accumulate))


def _check_index(index, name):
    if not is_tensor(index) or index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


class Gather(Function):
    @staticmethod
    def forward(ctx, x, axis, index):
        ctx.save_for_backward(index)
        ctx.meta = (x.shape, axis)
        return wrap(x._b.gather(x._data, axis, data_on(index, x.device)), x.device)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        shape, axis = ctx.meta
        return g.new_zeros(shape).scatter_add(axis, index, g), None, None


def gather(input, dim, index):
    _check_index(index, "gather")
    if index.dim() != input.dim():
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    axis = input._dim(dim)
    for d in range(input.dim()):
        if d != axis and index.shape[d] > input.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                               f"smaller than self {list(input.shape)} apart from dimension {axis}")
    return Gather.apply(input, axis, index)


class Scatter(Function):
    @staticmethod
    def forward(ctx, x, axis, index, src, reduce):
        ctx.save_for_backward(index)
        ctx.meta = (axis, reduce, src.shape if is_tensor(src) else None)
        s = data_on(src, x.device, x.dtype) if is_tensor(src) else src
        return wrap(x._b.scatter(x._data, axis, data_on(index, x.device), s, reduce), x.device)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        axis, reduce, sshape = ctx.meta
        gx = g if reduce == "add" else g.scatter(axis, index, 0)
        gs = None
        if sshape is not None and ctx.needs_input_grad[3]:
            gs = g.gather(axis, index)
            if tuple(gs.shape) != tuple(sshape):  # src may be larger than index: only its front was used
                gs = _pad_to(gs, sshape)
        return gx, None, None, gs, None


def _pad_to(t, shape):
    out = t.new_zeros(shape)
    out[tuple(slice(0, n) for n in t.shape)] = t
    return out


def _scatter(input, dim, index, src, reduce):
    _check_index(index, "scatter")
    if index.dim() != input.dim():
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if is_tensor(src):  # a src smaller than index was broadcast silently
        if src.dtype is not input.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        axis = input._dim(dim)
        if any(i > s or (d != axis and i > n) for d, (i, s, n) in enumerate(zip(index.shape, src.shape, input.shape))):
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(input.shape)} "
                               f"apart from dimension {axis} and to be no larger size than src {list(src.shape)}")
    if reduce not in (None, "add"):
        raise RuntimeError(f"reduce argument must be either add or None, got {reduce}")
    return Scatter.apply(input, input._dim(dim), index, src, reduce)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    return _scatter(input, dim, index, src if src is not None else value, reduce)


def scatter_add(input, dim, index, src):
    return _scatter(input, dim, index, src, "add")


class IndexSelect(Function):
    @staticmethod
    def forward(ctx, x, axis, index):
        ctx.save_for_backward(index)
        ctx.meta = (x.shape, axis)
        return wrap(x._b.index_select(x._data, axis, data_on(index, x.device)), x.device)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        shape, axis = ctx.meta
        return g.new_zeros(shape).index_add(axis, index, g), None, None


def index_select(input, dim, index):
    if not is_tensor(index) or index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return IndexSelect.apply(input, input._dim(dim) if input.dim() else 0, index.reshape(-1))


class IndexAdd(Function):
    @staticmethod
    def forward(ctx, x, axis, index, src):
        ctx.save_for_backward(index)
        ctx.axis = axis
        return wrap(x._b.index_add(x._data, axis, data_on(index, x.device), data_on(src, x.device, x.dtype)),
                    x.device)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        return g, None, None, g.index_select(ctx.axis, index)


def index_add(input, dim, index, source, *, alpha=1):
    if not is_tensor(index) or index.dtype not in (_dtype.int64, _dtype.int32):
        got = _dtype.SCALAR_TYPE_NAMES[index.dtype.name] if is_tensor(index) else type(index).__name__
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {got}")
    axis = input._dim(dim) if input.dim() else 0
    n = index.numel()
    if source.dim() and n != source.shape[axis]:
        raise RuntimeError(f"index_add_(): Number of indices ({n}) should be equal to source.size(dim): "
                           f"({source.shape[axis]}), for dim: {axis}")
    if source.dtype is not input.dtype:
        names = _dtype.SCALAR_TYPE_NAMES
        raise RuntimeError(f"index_add_(): self ({names[input.dtype.name]}) and source ({names[source.dtype.name]}) "
                           "must have the same scalar type")
    return IndexAdd.apply(input, input._dim(dim), index.reshape(-1), source if alpha == 1 else source * alpha)


def masked_select(input, mask):
    if mask.dtype is not _dtype.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype.name}")
    x, m = input.broadcast_to(_bshape(input, mask)), mask.broadcast_to(_bshape(input, mask))
    return Take.apply(x, (data_on(m, x.device),))


def _bshape(a, b):
    from .shape import broadcast_shapes
    return broadcast_shapes(a.shape, b.shape)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    if indices.dim() != input.dim():
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.dim()} dimensions for input, and {indices.dim()} dimensions for indices")
    axis = input._dim(dim)
    from .shape import broadcast_shapes
    shape = list(broadcast_shapes(input.shape[:axis] + (1,) + input.shape[axis + 1:],
                                  indices.shape[:axis] + (1,) + indices.shape[axis + 1:]))
    xs, is_ = list(shape), list(shape)
    xs[axis], is_[axis] = input.shape[axis], indices.shape[axis]
    size = input.shape[axis]  # with a dim, PyTorch counts negative indices from the end (gather does not)
    indices = indices + (indices < 0).to(indices.dtype) * size
    return input.expand(xs).gather(axis, indices.expand(is_))


def take(input, index):
    """input.flatten()[index]: an index outside [-numel, numel) raises (on cuda: at the next sync)."""
    n = input.numel()
    if is_tensor(index) and index.device.type == "cpu" and index.numel():
        bad = index[(index < -n) | (index >= n)]
        if bad.numel():
            raise IndexError(f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements.")
    return input.reshape(-1)[index]


def nonzero(input, *, as_tuple=False):
    out = wrap(input._b.nonzero(input._data), input.device)
    if as_tuple:
        return tuple(out[:, i] for i in range(out.shape[1])) if input.dim() else (out.reshape(-1),)
    return out


def argwhere(input):
    return nonzero(input)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1 and not tensor.numel():
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if tensor.numel() and int(tensor.min().item()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(tensor.max().item()) + 1 if tensor.numel() else 0
    elif tensor.numel() and int(tensor.max().item()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    from .creation import arange
    return (tensor.unsqueeze(-1) == arange(num_classes, device=tensor.device)).long()
