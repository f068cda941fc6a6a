"""tritorch.fft: PyTorch's torch.fft.

fftfreq, rfftfreq, fftshift and ifftshift are here (real tensors, any device). The transforms
themselves (fft, ifft, rfft, irfft, fft2, ..., hfft) produce or consume complex tensors, and tritorch
has no complex dtypes yet: they raise NotImplementedError saying so rather than return something else.
"""
import tritorch

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]


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


def _complex_transform(name):
    def transform(input, *args, **kwargs):
        raise NotImplementedError(f"torch.fft.{name} works on complex tensors, and tritorch has no complex dtypes "
                                  "(complex64/complex128) yet")
    transform.__name__ = name
    transform.__doc__ = f"torch.fft.{name}: not available (needs complex tensors, which tritorch lacks); raises."
    return transform


for _name in ("fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn",
              "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn"):
    globals()[_name] = _complex_transform(_name)
