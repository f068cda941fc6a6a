"""torch.view_as_real / view_as_complex (views sharing memory) and torch.polar.

view_as_real(z): a complex64 (complex128) tensor of shape S as a float32 (float64) view of shape
(*S, 2), [..., 0] the real and [..., 1] the imaginary parts. view_as_complex(x) is its inverse: x
float32/float64 with a last dimension of size 2 and stride 1. Both share memory with their input
(writes reach it) and are differentiable. CPU only: complex tensors live in numpy.
torch.stft / torch.istft are in tritorch/_stft.py.
"""
from . import _dtype
from .autograd.function import Function
from ._ops._util import wrap
from ._ops.complex import _cpu_only, polar  # noqa: F401  (torch.polar)
from ._ops.shape import _as_view
from ._stft import istft, stft  # noqa: F401

__all__ = ["view_as_real", "view_as_complex", "polar", "stft", "istft"]


class _ViewAsReal(Function):
    _name_override = "ViewAsRealBackward0"

    @staticmethod
    def forward(ctx, z):
        data = z._data[..., None].view(z._data.real.dtype)  # (..., 1) complex -> (..., 2) real, same memory
        return _as_view(wrap(data, z.device), z, view_as_real)

    @staticmethod
    def backward(ctx, g):
        return view_as_complex(g.contiguous())


class _ViewAsComplex(Function):
    _name_override = "ViewAsComplexBackward0"

    @staticmethod
    def forward(ctx, x):
        data = x._data.view(_dtype.to_dtype(x.dtype).to_complex().np)[..., 0]
        return _as_view(wrap(data, x.device), x, view_as_complex)

    @staticmethod
    def backward(ctx, g):
        return view_as_real(g)


def view_as_real(input):
    """A real view (..., 2) of a complex tensor: float32 for complex64, float64 for complex128."""
    if not input.dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    _cpu_only("view_as_real", input)
    return _ViewAsReal.apply(input)


def view_as_complex(input):
    """A complex view of a float32/float64 tensor whose last dimension has size 2 and stride 1
    (shape (*S, 2) -> (*S)); PyTorch's errors for any other input."""
    if input.dtype not in (_dtype.float32, _dtype.float64):
        if input.dtype is _dtype.float16:
            raise RuntimeError("view_as_complex: tritorch has no complex32, the complex dtype of float16 "
                               "(use .float() first)")
        raise RuntimeError("view_as_complex is only supported for half, float and double tensors, but got a "
                           f"tensor of scalar type: {_dtype.SCALAR_TYPE_NAMES[input.dtype.name]}")
    if input.dim() == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if input.stride(-1) != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in input.stride()[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    _cpu_only("view_as_complex", input)
    return _ViewAsComplex.apply(input)
