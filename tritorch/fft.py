"""tritorch.fft: PyTorch's torch.fft, on numpy's np.fft (pocketfft).

Transforms: fft/ifft/fftn/ifftn (complex to complex), rfft/rfftn (real to the onesided half),
irfft/irfftn (the onesided half to real), hfft/ihfft/hfftn/ihfftn (Hermitian input), the 2-d
forms, and the helpers fftfreq, rfftfreq, fftshift, ifftshift.

Dtypes as PyTorch: float32 and complex64 give complex64 (or float32), float64 and complex128 give
complex128 (or float64); integer and bool inputs compute in the default float dtype; float16 and
bfloat16 raise "Unsupported dtype Half". `norm` is "backward" (default: no scaling forward, 1/n on
the inverse), "forward" (the reverse) or "ortho" (1/sqrt(n) both ways). `n`/`s` trim or zero-pad
the input along the transformed dims first (for the c2r transforms, to n // 2 + 1 along the last).

Gradients follow PyTorch: the adjoint of a transform is the opposite transform with the dual norm
(backward <-> forward), and the c2r transforms (irfft, hfft) double the gradient of the onesided
bins whose mirror image lies outside the half, as PyTorch's fft_c2r_backward does.

Complex tensors are CPU-only in tritorch, so these transforms take CPU tensors; a cuda input raises
(move it with .cpu(): the result would otherwise have to live on a device that cannot hold it).
"""
import numpy as np

import tritorch
from . import _dtype
from .autograd.function import Function
from ._ops._util import wrap

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


# -- primitives: numpy on exact sizes, with their adjoints -------------------------------------
class _C2C(Function):
    """fftn (inverse=False) or ifftn over `dims` of a complex tensor, no resizing."""
    _name_override = "FftC2CBackward0"

    @staticmethod
    def forward(ctx, z, dims, norm, inverse):
        ctx.args = (dims, norm, inverse)
        f = np.fft.ifftn if inverse else np.fft.fftn
        return wrap(f(z._data, axes=dims, norm=norm).astype(z._data.dtype, copy=False), z.device)

    @staticmethod
    def backward(ctx, g):
        dims, norm, inverse = ctx.args
        return _C2C.apply(g, dims, _DUAL[norm], not inverse), None, None, None


class _R2C(Function):
    """rfft of a real tensor along one dim: the n // 2 + 1 onesided bins."""
    _name_override = "FftR2CBackward0"

    @staticmethod
    def forward(ctx, x, dim, norm):
        ctx.args = (dim, norm, x.shape[dim])
        out = np.fft.rfft(x._data, axis=dim, norm=norm)
        return wrap(out.astype(_dtype.to_dtype(x.dtype).to_complex().np, copy=False), x.device)

    @staticmethod
    def backward(ctx, g):
        # adjoint: zero-fill the other half, inverse c2c with the dual norm, keep the real part
        dim, norm, n = ctx.args
        full = _resize(g, dim, n)
        return _C2C.apply(full, (dim,), _DUAL[norm], True).real, None, None


class _C2R(Function):
    """irfft of a onesided complex tensor (n // 2 + 1 bins along `dim`) to n real points."""
    _name_override = "FftC2RBackward0"

    @staticmethod
    def forward(ctx, z, dim, n, norm):
        ctx.args = (dim, norm)
        out = np.fft.irfft(z._data, n=n, axis=dim, norm=norm)
        return wrap(out.astype(_dtype.to_dtype(z.dtype).to_real().np, copy=False), z.device)

    @staticmethod
    def backward(ctx, g):
        dim, norm = ctx.args
        gz = _R2C.apply(g, dim, _DUAL[norm])
        double = g.shape[dim] - gz.shape[dim]  # bins 1 .. n - (n // 2 + 1) stand for two of the full spectrum
        if double > 0:
            scale = np.ones(gz.shape[dim], dtype=_dtype.to_dtype(g.dtype).np)
            scale[1:1 + double] = 2
            shape = [1] * gz.dim()
            shape[dim] = -1
            gz = gz * tritorch.tensor(scale.reshape(shape))
        return gz, None, None, None


# -- argument handling -------------------------------------------------------------------------
def _check_norm(norm):
    norm = "backward" if norm is None else norm
    if norm not in _DUAL:
        raise RuntimeError(f"Invalid normalization mode: \"{norm}\"")
    return norm


def _prepare(name, x, want):
    """x cast for a transform: want 'real' (r2c), 'complex' (c2c/c2r) input. Integers -> default float."""
    if x.device.type != "cpu":
        raise RuntimeError(f"torch.fft.{name}: complex tensors are CPU-only in tritorch and this input is a "
                           f"{x.dtype.name} tensor on {x.device}; move it with .cpu() first")
    d = x.dtype
    if d in (_dtype.float16, _dtype.bfloat16):
        raise RuntimeError(f"Unsupported dtype {_dtype.SCALAR_TYPE_NAMES[d.name]}")
    if not d._inexact:
        x = x.to(_dtype.get_default_dtype())
    if want == "real" and x.dtype.is_complex:
        raise RuntimeError(f"{name} expects a real input tensor, but got {_dtype.SCALAR_TYPE_NAMES[x.dtype.name]}")
    if want == "complex" and not x.dtype.is_complex:
        x = x.to(x.dtype.to_complex())
    return x


def _resize(x, dim, n):
    """x trimmed or zero-padded (at the end) to n along dim; differentiable."""
    size = x.shape[dim]
    if size == n:
        return x
    if size > n:
        return x.narrow(dim, 0, n)
    shape = list(x.shape)
    shape[dim] = n - size
    return tritorch.cat([x, tritorch.zeros(shape, dtype=x.dtype, device=x.device)], dim)


def _dims_1d(x, n, dim):
    if x.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = x._dim(dim)
    if n is not None and n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return d, (x.shape[d] if n is None else n)


def _dims_nd(x, s, dim, name, c2r=False):
    """(dims, sizes) of an n-dim transform, checked as PyTorch checks them."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > x.dim():
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {x.dim()} dimensions.")
        dims = tuple(range(x.dim() - len(s), x.dim()))
    else:
        dims = tuple(range(x.dim()))
    dims = tuple(x._dim(d) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("FFT dims must be unique")
    if name in ("rfftn", "irfftn", "hfftn", "ihfftn") and not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    sizes = []
    for i, d in enumerate(dims):
        n = None if s is None or s[i] == -1 else int(s[i])
        if n is None:
            n = 2 * (x.shape[d] - 1) if c2r and i == len(dims) - 1 else x.shape[d]
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
        sizes.append(n)
    return dims, sizes


def _out(result, out, name):
    if out is None:
        return result
    if result.dtype.is_complex and not out.dtype.is_complex:
        raise RuntimeError(f"{name} expects a complex output tensor, but got "
                           f"{_dtype.SCALAR_TYPE_NAMES[out.dtype.name]}")
    if tuple(out.shape) != tuple(result.shape):
        out.resize_(result.shape)
    return out.copy_(result)


# -- the transforms ----------------------------------------------------------------------------
def _c2c_nd(name, x, dims, sizes, norm, inverse):
    for d, n in zip(dims, sizes):
        x = _resize(x, d, n)
    return _C2C.apply(x, tuple(dims), norm, inverse) if dims else x.clone()


def _r2c_nd(x, dims, sizes, norm):
    for d, n in zip(dims, sizes):
        x = _resize(x, d, n)
    y = _R2C.apply(x, dims[-1], norm)
    return _C2C.apply(y, tuple(dims[:-1]), norm, False) if len(dims) > 1 else y


def _c2r_nd(x, dims, sizes, norm):
    for d, n in zip(dims[:-1], sizes[:-1]):
        x = _resize(x, d, n)
    x = _resize(x, dims[-1], sizes[-1] // 2 + 1)
    if len(dims) > 1:
        x = _C2C.apply(x, tuple(dims[:-1]), norm, True)
    return _C2R.apply(x, dims[-1], sizes[-1], norm)


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """1-d discrete Fourier transform along `dim`; complex result (complex64 for float32/complex64 input)."""
    x = _prepare("fft", input, "complex")
    d, n = _dims_1d(x, n, dim)
    return _out(_c2c_nd("fft", x, (d,), (n,), _check_norm(norm), False), out, "fft")


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """1-d inverse discrete Fourier transform along `dim` (1/n scaling for norm="backward")."""
    x = _prepare("ifft", input, "complex")
    d, n = _dims_1d(x, n, dim)
    return _out(_c2c_nd("ifft", x, (d,), (n,), _check_norm(norm), True), out, "ifft")


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """n-dim transform over `dim` (all dims by default, or the last len(s) when s is given)."""
    x = _prepare("fftn", input, "complex")
    dims, sizes = _dims_nd(x, s, dim, "fftn")
    return _out(_c2c_nd("fftn", x, dims, sizes, _check_norm(norm), False), out, "fftn")


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """n-dim inverse transform over `dim`."""
    x = _prepare("ifftn", input, "complex")
    dims, sizes = _dims_nd(x, s, dim, "ifftn")
    return _out(_c2c_nd("ifftn", x, dims, sizes, _check_norm(norm), True), out, "ifftn")


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """2-d transform over the last two dims (or `dim`)."""
    return fftn(input, s, dim, norm, out=out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return ifftn(input, s, dim, norm, out=out)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Transform of a real signal: the n // 2 + 1 non-negative frequency bins (complex)."""
    x = _prepare("rfft", input, "real")
    d, n = _dims_1d(x, n, dim)
    return _out(_r2c_nd(x, (d,), (n,), _check_norm(norm)), out, "rfft")


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of rfft: n real points (default 2 (m - 1) for m input bins) from the onesided half.
    The imaginary parts of the zero (and, n even, the Nyquist) bin are ignored."""
    x = _prepare("irfft", input, "complex")
    if x.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = x._dim(dim)
    n = 2 * (x.shape[d] - 1) if n is None else n
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return _out(_c2r_nd(x, (d,), (n,), _check_norm(norm)), out, "irfft")


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """n-dim transform of a real signal: onesided along the last transformed dim."""
    x = _prepare("rfftn", input, "real")
    dims, sizes = _dims_nd(x, s, dim, "rfftn")
    return _out(_r2c_nd(x, dims, sizes, _check_norm(norm)), out, "rfftn")


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """Inverse of rfftn; the last transformed dim has 2 (m - 1) points unless s says otherwise."""
    x = _prepare("irfftn", input, "complex")
    dims, sizes = _dims_nd(x, s, dim, "irfftn", c2r=True)
    return _out(_c2r_nd(x, dims, sizes, _check_norm(norm)), out, "irfftn")


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return rfftn(input, s, dim, norm, out=out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return irfftn(input, s, dim, norm, out=out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Transform of a Hermitian-symmetric signal given by its onesided half: n real points
    (default 2 (m - 1)). Equal to irfft(input.conj()) with the opposite normalisation."""
    x = _prepare("hfft", input, "complex")
    return irfft(x.conj(), n, dim, _DUAL[_check_norm(norm)], out=out)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of hfft for a real signal: the onesided half, conj(rfft) with the opposite normalisation."""
    x = _prepare("ihfft", input, "real")
    return _out(rfft(x, n, dim, _DUAL[_check_norm(norm)]).conj(), out, "ihfft")


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """n-dim hfft: the last transformed dim is the onesided (Hermitian) one."""
    x = _prepare("hfftn", input, "complex")
    _dims_nd(x, s, dim, "hfftn", c2r=True)
    return irfftn(x.conj(), s, dim, _DUAL[_check_norm(norm)], out=out)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """n-dim inverse of hfftn for a real signal."""
    x = _prepare("ihfftn", input, "real")
    _dims_nd(x, s, dim, "ihfftn")
    return _out(rfftn(x, s, dim, _DUAL[_check_norm(norm)]).conj(), out, "ihfftn")


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return hfftn(input, s, dim, norm, out=out)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return ihfftn(input, s, dim, norm, out=out)


# -- frequencies and shifts (real tensors, any device) -----------------------------------------
def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of an n-point transform: [0, 1, ..., n//2 - 1 (or (n-1)//2), -n//2, ..., -1] / (d n)."""
    k = tritorch.arange(n, dtype=tritorch.int64, device=device)
    k = tritorch.where(k < (n + 1) // 2, k, k - n)
    out = k.to(dtype or tritorch.get_default_dtype()) / (d * n)
    return out.requires_grad_(requires_grad) if requires_grad else out


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of rfft: [0, 1, ..., n // 2] / (d n)."""
    out = tritorch.arange(n // 2 + 1, dtype=dtype or tritorch.get_default_dtype(), device=device) / (d * n)
    return out.requires_grad_(requires_grad) if requires_grad else out


def _shift(input, dim, sign):
    dims = tuple(range(input.dim())) if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    shifts = tuple(sign * (input.shape[d] // 2) if sign > 0 else -(input.shape[d] // 2) for d in dims)
    return input.roll(shifts, dims)


def fftshift(input, dim=None):
    """Move the zero frequency to the centre: roll each dim by size // 2."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """Inverse of fftshift: roll each dim by -(size // 2)."""
    return _shift(input, dim, -1)
