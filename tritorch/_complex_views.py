"""torch.view_as_real / view_as_complex / polar while tritorch has no complex dtypes.

view_as_real takes a complex tensor; every tritorch tensor is real, so it raises PyTorch's own error
for a real input. view_as_complex and polar check their input as PyTorch does (raising its errors for
a wrong shape, dtype or stride) and then raise NotImplementedError: the result would be a complex
tensor, which tritorch cannot hold. Neither ever returns a real tensor in place of a complex one.
"""
__all__ = ["view_as_real", "view_as_complex", "polar", "stft", "istft"]

_NO_COMPLEX = ("tritorch has no complex dtypes (complex64/complex128) yet, so it cannot build the complex "
               "result; keep real and imaginary parts as the last dimension of size 2 and use real arithmetic")


def view_as_real(input):
    """PyTorch's result for any tritorch tensor: a RuntimeError (its input must be complex)."""
    raise RuntimeError("view_as_real is only supported for complex tensors")


def view_as_complex(input):
    """Checks `input` (float16/32/64, last dimension 2 with stride 1) as PyTorch does, then raises
    NotImplementedError: tritorch cannot hold the complex result."""
    if input.dtype.name not in ("float16", "float32", "float64"):
        pt = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
              "bfloat16": "BFloat16"}.get(input.dtype.name, input.dtype.name)
        raise RuntimeError("view_as_complex is only supported for half, float and double tensors, but got a "
                           f"tensor of scalar type: {pt}")
    if input.dim() == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if input.stride(-1) != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    raise NotImplementedError(f"torch.view_as_complex: {_NO_COMPLEX}")


def polar(abs, angle, *, out=None):
    """Raises NotImplementedError: abs * (cos(angle) + i sin(angle)) is a complex tensor."""
    raise NotImplementedError(f"torch.polar: {_NO_COMPLEX} (real part: abs * cos(angle), imaginary part: "
                              "abs * sin(angle))")


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """Raises NotImplementedError: the short-time Fourier transform's result is complex."""
    raise NotImplementedError(f"torch.stft: {_NO_COMPLEX}")


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """Raises NotImplementedError: the inverse short-time Fourier transform takes a complex input."""
    raise NotImplementedError(f"torch.istft: {_NO_COMPLEX}")
