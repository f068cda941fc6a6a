"""Shape ops. The view ops (view/reshape when possible, permute, expand, basic indexing and
everything built on them) share memory with their input and record how to redo themselves
from the root base (`_view_fn`), which in-place writes through a view need to update the
base's autograd history."""
import collections
import math

from .. import _dtype
from ..autograd.function import Function
from ._util import common_device, data_on, dims, wrap
from ._util import dims as _dims


def _as_view(out, x, view_fn):
    """Mark `out` as a view of x's root base; view_fn(base) rebuilds it."""
    out._vc = x._vc
    if x._base is None:
        out._base, out._view_fn = x, view_fn
    else:
        prev = x._view_fn
        out._base, out._view_fn = x._base, (lambda t: view_fn(prev(t)))
    return out


def _infer_shape(shape, numel):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
    return tuple(shape)


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape, must_view):
        ctx.in_shape = x.shape
        data = x._b.view(x._data, shape)
        if data is None:
            if must_view:
                raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                                   "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
            return wrap(x._b.reshape(x._data, shape), x.device)
        return _as_view(wrap(data, x.device), x, lambda t: t.reshape(shape))

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None, None


def _shape_arg(shape, name="reshape", arg="shape", negative_ok=False):
    """reshape(2, 3), reshape((2, 3)) -> (2, 3); a size that is not an integer raises PyTorch's TypeError
    (reshape((2.0,)) used to work), one below -1 its RuntimeError (unless negative_ok: the caller says)."""
    packed = len(shape) == 1 and isinstance(shape[0], (tuple, list))
    shape = tuple(shape[0]) if packed else tuple(shape)
    for i, s in enumerate(shape):
        if type(s) is int:
            if s < -1 and not negative_ok:
                raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        elif isinstance(s, bool) or not hasattr(s, "__index__"):
            if packed:
                raise TypeError(f"{name}(): argument '{arg}' (position 1) must be tuple of ints, but found element "
                                f"of type {type(s).__name__} at pos {i}")
            raise TypeError(f"{name}(): argument '{arg}' (position 1) must be tuple of ints, not {type(s).__name__}")
    return shape if all(type(s) is int for s in shape) else tuple(s.__index__() for s in shape)


def alias(input):
    """A view of the whole of `input` (what PyTorch returns for a no-op reshape/squeeze)."""
    return Reshape.apply(input, tuple(input.shape), True)


def reshape(input, *shape):
    shape = _infer_shape(_shape_arg(shape), input.numel())
    if shape == tuple(input.shape):
        return alias(input)
    return Reshape.apply(input, shape, False)


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        raise RuntimeError("view(dtype) is not supported by tritorch; use .to(dtype)")
    shape = _infer_shape(_shape_arg(shape, "view"), input.numel())
    return Reshape.apply(input, shape, True)


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, order):
        ctx.order = order
        return _as_view(wrap(x._b.permute(x._data, order), x.device), x, lambda t: t.permute(order))

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.order)
        for i, d in enumerate(ctx.order):
            inverse[d] = i
        return g.permute(inverse), None


def permute(input, *dims_):
    order = tuple(input._dim(d) for d in _shape_arg(dims_))
    if len(order) != input.dim() or len(set(order)) != len(order):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {input.dim()} is not equal to "
                           f"len(dims) = {len(order)}" if len(order) != input.dim() else "permute(): duplicate dims are not allowed.")
    return Permute.apply(input, order)


def transpose(input, dim0, dim1):
    if input.dim() == 0:
        return alias(input)
    order = list(range(input.dim()))
    a, b = input._dim(dim0), input._dim(dim1)
    order[a], order[b] = order[b], order[a]
    return Permute.apply(input, tuple(order))


swapaxes = swapdims = transpose


def t(input):
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.dim()}D")
    return transpose(input, 0, 1) if input.dim() == 2 else alias(input)


def numpy_T(input):
    return Permute.apply(input, tuple(reversed(range(input.dim())))) if input.dim() > 1 else alias(input)


def movedim(input, source, destination):
    src = [input._dim(s) for s in ((source,) if isinstance(source, int) else source)]
    dst = [input._dim(d) for d in ((destination,) if isinstance(destination, int) else destination)]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    for what, given in (("source", src), ("destination", dst)):
        if len(set(given)) != len(given):  # numpy's "axes don't match array" otherwise
            raise RuntimeError(f"movedim: repeated dim in `{what}` ({given})")
    order = [d for d in range(input.dim()) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


def unsqueeze(input, dim):
    d = input._dim(dim, input.dim() + 1)
    shape = list(input.shape)
    shape.insert(d, 1)
    return Reshape.apply(input, tuple(shape), True)


def squeeze(input, dim=None):
    if dim is None:
        axes = [i for i, s in enumerate(input.shape) if s == 1]
    else:
        axes = [a for a in dims(dim, input.dim()) if input.dim() and input.shape[a] == 1]
    if not axes:
        return alias(input)
    shape = tuple(s for i, s in enumerate(input.shape) if i not in axes)
    return Reshape.apply(input, shape, True)


def flatten(input, start_dim=0, end_dim=-1):
    if input.dim() == 0:
        return reshape(input, 1)
    s, e = input._dim(start_dim), input._dim(end_dim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape[:s] + (math.prod(input.shape[s:e + 1]),) + input.shape[e + 1:]
    return reshape(input, shape)


def unflatten(input, dim, sizes):
    d = input._dim(dim)
    sizes = _infer_shape(sizes, input.shape[d])
    return reshape(input, input.shape[:d] + sizes + input.shape[d + 1:])


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return _as_view(wrap(x._b.broadcast_to(x._data, shape), x.device), x, lambda t: t.expand(shape))

    @staticmethod
    def backward(ctx, g):
        return g.sum_to_size(ctx.in_shape), None


def expand(input, *sizes):
    sizes = list(_shape_arg(sizes, "expand", "size", negative_ok=True))
    lead = len(sizes) - input.dim()
    if lead < 0:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(input.shape)}}}, size={sizes}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({input.dim()})")
    for i, s in enumerate(sizes):
        have = input.shape[i - lead] if i >= lead else None
        if s == -1:
            if have is None:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            sizes[i] = have
        elif have is not None and have != 1 and have != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(input.shape)}")
    if sizes and min(sizes) < 0:  # numpy's ValueError otherwise (PyTorch: 'numel: integer multiplication overflow')
        raise RuntimeError(f"The expanded size of the tensor ({min(sizes)}) isn't allowed: sizes must be non-negative "
                           f"(or -1 to keep a dimension).  Target sizes: {list(sizes)}.  Tensor sizes: "
                           f"{list(input.shape)}")
    if tuple(sizes) == tuple(input.shape):
        return alias(input)
    return Expand.apply(input, tuple(sizes))


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_shapes(*shapes):
    out = []
    for dims_ in zip(*[(1,) * (max(map(len, shapes)) - len(s)) + tuple(s) for s in shapes]):
        sizes = {d for d in dims_ if d != 1}
        if len(sizes) > 1:
            raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {list(shapes)}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_to(input, size):
    return expand(input, size)


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def repeat(input, *sizes):
    sizes = _shape_arg(sizes, "repeat", "repeats", negative_ok=True)
    if len(sizes) < input.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    x = input.reshape((1,) * (len(sizes) - input.dim()) + tuple(input.shape))
    out = [r * s for r, s in zip(sizes, x.shape)]
    if min(sizes, default=0) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {out}")
    inter = [v for s in x.shape for v in (1, s)]
    target = [v for r, s in zip(sizes, x.shape) for v in (r, s)]
    return x.reshape(inter).expand(target).reshape([r * s for r, s in zip(sizes, x.shape)])


class Contiguous(Function):
    @staticmethod
    def forward(ctx, x):
        return wrap(x._b.contiguous(x._data), x.device)

    @staticmethod
    def backward(ctx, g):
        return g


def contiguous(input, memory_format=None):
    return input if input.is_contiguous() else Contiguous.apply(input)


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return wrap(x._b.copy(x._data), x.device)

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input, *, memory_format=None):
    return Clone.apply(input)


class Flip(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return wrap(x._b.flip(x._data, axes), x.device)

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.axes), None


def flip(input, *args, dims=None):
    """flip(x, dims), x.flip(dims) or x.flip(0, 1), as PyTorch."""
    if dims is None:
        dims = args[0] if len(args) == 1 else args
    axes = _dims(dims, input.dim())
    return Flip.apply(input, axes) if axes else input.clone()


fliplr = lambda input: flip(input, 1)  # noqa: E731
flipud = lambda input: flip(input, 0)  # noqa: E731


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.meta = (shifts, axes)
        return wrap(x._b.roll(x._data, shifts, axes), x.device)

    @staticmethod
    def backward(ctx, g):
        shifts, axes = ctx.meta
        neg = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return g.roll(neg, axes), None, None


def roll(input, shifts, dims=None):
    if dims is None:
        return Roll.apply(input.flatten(), shifts, None).view(input.shape)
    shifts = tuple(shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
    axes = tuple(input._dim(d) for d in ((dims,) if isinstance(dims, int) else dims))
    return Roll.apply(input, shifts, axes)


class Cat(Function):
    @staticmethod
    def forward(ctx, axis, dtype, device, *tensors):
        ctx.sizes = [t.shape[axis] for t in tensors]
        ctx.axis = axis
        datas = [data_on(t, device) for t in tensors]
        backend = next(t for t in tensors if t.device == device)._b
        return wrap(backend.concatenate(datas, axis, dtype.np), device)

    @staticmethod
    def backward(ctx, g):
        return (None, None, None) + tuple(g.split(ctx.sizes, ctx.axis))


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    kept = [t for t in tensors if not (t.dim() == 1 and t.shape[0] == 0)] or tensors[:1]
    ref = kept[0]
    axis = ref._dim(dim)
    for i, t in enumerate(kept):
        if t.dim() != ref.dim():
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.dim()} and {t.dim()}")
        for d in range(ref.dim()):
            if d != axis and t.shape[d] != ref.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size "
                                   f"{ref.shape[d]} but got size {t.shape[d]} for tensor number {i} in the list.")
    dtype = _dtype.result_type(*kept)
    return Cat.apply(axis, dtype, common_device(*kept), *kept)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    d = tensors[0]._dim(dim, tensors[0].dim() + 1)
    return cat([t.unsqueeze(d) for t in tensors], d)


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.dim() < 2 else t for t in tensors], 0)


def narrow(input, dim, start, length):
    d = input._dim(dim)
    start, size = int(start), input.shape[d]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({input.shape[d]}).")
    return input[(slice(None),) * d + (slice(start, start + length),)]


def split(input, split_size_or_sections, dim=0):
    d = input._dim(dim)
    n = input.shape[d]
    if isinstance(split_size_or_sections, int) or _is_int_tensor(split_size_or_sections):
        step = int(split_size_or_sections)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [min(step, n - i) for i in range(0, n, step)] if n else [0]
    else:
        if not isinstance(split_size_or_sections, (list, tuple)):
            raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of ints, not "
                            f"{type(split_size_or_sections).__name__}")
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sizes}")
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(input, d, start, s))
        start += s
    return tuple(out)


def _is_int_tensor(x):
    return hasattr(x, "dtype") and hasattr(x, "dim") and x.dim() == 0 and not x.dtype.is_floating_point


def chunk(input, chunks, dim=0):
    if isinstance(chunks, bool) or not hasattr(chunks, "__index__"):
        raise TypeError(f"chunk(): argument 'chunks' (position 1) must be int, not {type(chunks).__name__}")
    chunks = chunks.__index__()
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[input._dim(dim)]
    if n == 0:  # PyTorch: `chunks` empty pieces of an empty dim
        return split(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


def tensor_split(input, sections, dim=0):
    n = input.shape[input._dim(dim)]
    if isinstance(sections, int):
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        q, r = divmod(n, sections)
        sizes = [q + (i < r) for i in range(sections)]
    else:  # piece i is [bounds[i], bounds[i+1]) clipped to [0, n]; empty where bounds go backwards
        d = input._dim(dim)
        bounds = [0] + [min(int(b), n) for b in sections] + [n]
        return tuple(input[(slice(None),) * d + (slice(a, max(a, b)),)] for a, b in zip(bounds, bounds[1:]))
    return split(input, sizes, dim)


def unbind(input, dim=0):
    d = input._dim(dim)
    return tuple(input[(slice(None),) * d + (i,)] for i in range(input.shape[d]))


class Triangle(Function):
    @staticmethod
    def forward(ctx, x, k, upper):
        ctx.meta = (k, upper)
        return wrap((x._b.triu if upper else x._b.tril)(x._data, k), x.device)

    @staticmethod
    def backward(ctx, g):
        k, upper = ctx.meta
        return (g.triu(k) if upper else g.tril(k)), None, None


def tril(input, diagonal=0):
    if input.dim() < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Triangle.apply(input, diagonal, False)


def triu(input, diagonal=0):
    if input.dim() < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triangle.apply(input, diagonal, True)


class Diagonal(Function):
    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.meta = (x.shape, offset, d1, d2)
        return _as_view(wrap(x._b.diagonal(x._data, offset, d1, d2), x.device), x,
                        lambda t: t.diagonal(offset, d1, d2))

    @staticmethod
    def backward(ctx, g):
        shape, offset, d1, d2 = ctx.meta
        out = g.new_zeros(shape)
        out.diagonal(offset, d1, d2).copy_(g)
        return out, None, None, None


def diagonal(input, offset=0, dim1=0, dim2=1):
    return Diagonal.apply(input, offset, input._dim(dim1), input._dim(dim2))


def diag(input, diagonal=0):
    if input.dim() not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")
    if input.dim() == 1:
        n = input.shape[0] + abs(diagonal)
        out = input.new_zeros((n, n))
        return out.diagonal_scatter(input, diagonal)
    return Diagonal.apply(input, diagonal, 0, 1).clone()


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    out = input.clone()
    out.diagonal(offset, dim1, dim2).copy_(src)
    return out
