"""Helpers shared by the ops: wrapping backend arrays, device checks, dims, broadcast grads."""
from .. import _dtype
from .._device import CPU
from ..autograd import grad_mode
from ..tensor import Tensor  # bound once: these two run several times per op


def wrap(data, device=CPU):
    return Tensor._make(data, device)


def is_tensor(x):
    return isinstance(x, Tensor)


def needs_graph(*xs):
    """Whether an op over xs records a node: grad mode is on and a tensor among xs requires grad."""
    if not grad_mode._enabled:
        return False
    for x in xs:
        if isinstance(x, Tensor) and x._requires_grad:
            return True
    return False


_SCALAR_CATEGORY = {bool: 0, int: 1, float: 2}  # as dtype.category: bool < integer < floating


def binary_result_type(a, b):
    """_dtype.result_type(a, b), answered at once in the usual cases: two tensors of one dtype, or a
    tensor and a Python scalar whose category is not above the tensor's (1.5 * float16 is float16)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        d = a.dtype
        if b.dtype is d:
            return d
    elif isinstance(a, Tensor) or isinstance(b, Tensor):
        t, scalar = (a, b) if isinstance(a, Tensor) else (b, a)
        d = t.dtype
        if _SCALAR_CATEGORY.get(type(scalar), 3) <= d.category:
            return d
    return _dtype.result_type(a, b)


def common_device(*xs):
    """The device an op over xs runs on. 0-d CPU tensors ride along with cuda ones, as in PyTorch."""
    if len(xs) == 2:  # the usual binary op: both tensors on one device, or a tensor and a scalar
        a, b = xs
        if isinstance(a, Tensor) and (not isinstance(b, Tensor) or b._device is a._device):
            return a._device
        if isinstance(b, Tensor) and not isinstance(a, Tensor):
            return b._device
    else:  # e.g. (input, target, weight=None): every tensor on one device
        first = None
        for x in xs:
            if isinstance(x, Tensor):
                if first is None:
                    first = x._device
                elif x._device is not first:
                    break
        else:
            if first is not None:
                return first
    devices = {x.device for x in xs if is_tensor(x) and not (x.device.type == "cpu" and x.dim() == 0)}
    if not devices:
        devices = {x.device for x in xs if is_tensor(x)}
    if len(devices) > 1:
        a, b = sorted(str(d) for d in devices)[::-1][:2]
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{a} and {b}!")
    return devices.pop() if devices else CPU


def data_on(x, device, dtype=None):
    """Backend data of x on `device` (moving 0-d CPU tensors), or the Python scalar itself."""
    if not isinstance(x, Tensor):
        return x
    if x._device is not device and x._device != device:
        x = x.to(device)
    if dtype is not None and x.dtype is not dtype:
        return x._b.cast(x._data, dtype.np)
    return x._data


def dims(dim, ndim):
    """Normalise `dim` (None, int, or a sequence) to a sorted tuple of non-negative axes; () = all."""
    if dim is None:
        return ()
    if isinstance(dim, int):
        dim = (dim,)
    out = []
    for d in dim:
        lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
        if not lo <= d <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
        out.append(d % max(ndim, 1))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {next(d for d in out if out.count(d) > 1)} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()  # a 0-d tensor's only "dim" is the whole tensor


def size_args(size):
    """zeros(2, 3), zeros((2, 3)) and zeros([2, 3]) all mean shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    return shape


def meta_of(x):
    """(shape, dtype) of a tensor input, kept by ops that need it in backward; None for scalars."""
    return (x._data.shape, x.dtype) if isinstance(x, Tensor) else None


def grad_for(g, meta, needed=True):
    """Reduce a broadcast gradient to an input's (shape, dtype); None when it needs no gradient."""
    if g is None or meta is None or not needed:
        return None
    shape, dtype = meta
    if g.shape != shape:
        g = g.sum_to_size(shape)
    if g.dtype is not dtype:
        g = g.real.to(dtype) if g.dtype.is_complex and not dtype.is_complex else g.to(dtype)  # real input
    return g


def float_dtype(d):
    return d if d._inexact else _dtype.get_default_dtype()


def check_broadcast(a, b):
    """PyTorch's error for operands whose shapes do not broadcast."""
    sa = a._data.shape if isinstance(a, Tensor) else ()
    sb = b._data.shape if isinstance(b, Tensor) else ()
    if sa == sb:
        return
    for i in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {max(len(sa), len(sb)) - i}")
