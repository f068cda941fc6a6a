"""torch.stft / torch.istft: the short-time Fourier transform and its overlap-add inverse.

stft(x, n_fft): x of shape (L) or (B, L), real or complex; frames of n_fft samples every hop_length
(default n_fft // 4), each multiplied by `window` (win_length samples, default n_fft, zero-padded to
n_fft in the middle; None: rectangular, with PyTorch's warning), then transformed. Result:
(B?, n_fft // 2 + 1 (onesided) or n_fft, n_frames) complex. center=True pads n_fft // 2 on both
sides with `pad_mode` first. normalized multiplies by n_fft ** -0.5. return_complex=False gives
view_as_real of it (deprecated in PyTorch, warned here too).

istft inverts it: frames by irfft (onesided) or ifft, times the window, overlap-added and divided by
the overlap-added squared window (which must stay above 1e-11 where the signal is kept).
Built from differentiable ops (pad, unfold, tritorch.fft, index_add), so both have gradients.
CPU only, as every complex op in tritorch.
"""
import warnings

import numpy as np

from . import _dtype

__all__ = ["stft", "istft"]


def _describe(name, x, n_fft, hop, win, window, extra):
    w = "None" if window is None else (f"torch.{_dtype.SCALAR_TYPE_NAMES[window.dtype.name]}Tensor"
                                       f"{{{list(window.shape)}}}")
    return f"{name}({list(x.shape)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, window={w}{extra}) : "


def _full_window(window, n_fft, win_length, x, name, describe):
    import tritorch
    if window is None:
        return None
    if window.dim() != 1 or window.shape[0] != win_length:
        raise RuntimeError(describe + f"expected a 1D window tensor of size equal to win_length={win_length}, but got "
                                      f"window with size {list(window.shape)}")
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        window = tritorch.cat([window.new_zeros(left), window, window.new_zeros(n_fft - win_length - left)])
    return window


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None, align_to_window=None):
    """Short-time Fourier transform; see the module docstring for shapes and arguments. align_to_window
    (PyTorch 2.8+, center=False only) is accepted as None/False; True raises NotImplementedError."""
    import tritorch
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if align_to_window:
        raise NotImplementedError("stft(align_to_window=True) is not implemented in tritorch")
    import tritorch.nn.functional as F
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    complex_in = input.dtype.is_complex or (window is not None and window.dtype.is_complex)
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                               "require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied,which is known to cause "
                      "spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
                      "recommended to reduce spectral leakage.To suppress this warning and use a rectangular window, "
                      "explicitly set `window=torch.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
    x = input
    if not x.dtype._inexact:
        x = x.to(_dtype.get_default_dtype())
    if center and x.dim() in (1, 2):
        pad = n_fft // 2
        x = F.pad(x.reshape((1,) * (3 - x.dim()) + tuple(x.shape)), (pad, pad), mode=pad_mode).reshape(
            tuple(input.shape[:-1]) + (x.shape[-1] + 2 * pad,))
    describe = _describe("stft", x, n_fft, hop, win, window, f", normalized={int(normalized)}, onesided={onesided}, "
                         f"return_complex={int(return_complex)}, align_to_window={align_to_window}")
    if x.dim() not in (1, 2):
        raise RuntimeError(describe + "expected a 1D or 2D tensor")
    length = x.shape[-1]
    if not 0 < n_fft <= length:
        raise RuntimeError(describe + f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(describe + f"expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(describe + f"expected 0 < win_length <= n_fft, but got win_length={win}")
    window = _full_window(window, n_fft, win, x, "stft", describe)
    one = onesided if onesided is not None else not complex_in
    if one and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    frames = x.unfold(-1, n_fft, hop)  # (B?, n_frames, n_fft)
    if window is not None:
        frames = frames * window
    norm = "ortho" if normalized else "backward"
    spec = tritorch.fft.rfft(frames, dim=-1, norm=norm) if one else tritorch.fft.fft(frames, dim=-1, norm=norm)
    spec = spec.transpose(-1, -2)  # (B?, n_freq, n_frames)
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                      "complex tensors for all inputs, and return_complex=False will raise an error.\nNote: you can "
                      "still call torch.view_as_real on the complex output to recover the old return format.",
                      UserWarning, stacklevel=2)
        return tritorch.view_as_real(spec.contiguous())
    return spec


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """Inverse short-time Fourier transform: (B?, n_freq, n_frames) complex -> (B?, length) signal."""
    import tritorch
    if not input.dtype.is_complex:
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    describe = _describe("istft", input, n_fft, hop, win, window, f", center={int(center)}, "
                         f"normalized={int(normalized)}, onesided={onesided}, length={length}, "
                         f"return_complex={int(return_complex)}")
    if input.dim() not in (2, 3):
        raise RuntimeError(describe + f"expected a tensor with 2 or 3 dimensions of complex, but got {input.dim()}")
    n_freq, n_frames = input.shape[-2], input.shape[-1]
    one = onesided if onesided is not None else n_freq != n_fft
    if one and n_freq != n_fft // 2 + 1:
        raise RuntimeError(describe + "expected the frequency dimension (3rd to the last) of the input tensor to match "
                                      f"n_fft / 2 + 1 when onesided=True, but got {n_freq}")
    if not one and n_freq != n_fft:
        raise RuntimeError(describe + "expected the frequency dimension (3rd to the last) of the input tensor to match "
                                      f"n_fft when onesided=False, but got {n_freq}")
    if not 0 < win <= n_fft:
        raise RuntimeError(describe + f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if hop <= 0 or hop > win:
        raise RuntimeError(describe + "expected 0 < hop_length <= win_length")
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied.Please provide the same window "
                      "used by stft to make the inversion lossless.To suppress this warning and use a rectangular "
                      "window, explicitly set `window=torch.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
        window = tritorch.ones(win, dtype=input.dtype.to_real())
    window = _full_window(window, n_fft, win, input, "istft", describe)
    if return_complex and one:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    spec = input.transpose(-1, -2)  # (B?, n_frames, n_freq)
    frames = tritorch.fft.irfft(spec, n_fft, dim=-1, norm=norm) if one else tritorch.fft.ifft(spec, dim=-1, norm=norm)
    if not return_complex and frames.dtype.is_complex:
        frames = frames.real
    frames = frames * window
    total = n_fft + hop * (n_frames - 1)
    idx = tritorch.tensor((np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]).reshape(-1))
    batch = tuple(frames.shape[:-2])
    y = tritorch.zeros(batch + (total,), dtype=frames.dtype).index_add(-1, idx, frames.reshape(batch + (-1,)))
    wsq = (window * window.conj()).real if window.dtype.is_complex else window * window
    env = tritorch.zeros(total, dtype=wsq.dtype).index_add(0, idx, wsq.expand(n_frames, n_fft).reshape(-1))
    start = n_fft // 2 if center else 0
    end = total - (n_fft // 2 if center else 0) if length is None else start + length
    y, env = y[..., start:min(end, total)], env[start:min(end, total)]
    small = env.abs() < 1e-11
    if bool(small.any()):
        raise RuntimeError(describe + f"window overlap add min: {int(small.sum())}")
    y = y / env
    if end > total:
        warnings.warn("The length of signal is shorter than the length parameter. Result is being padded with zeros "
                      "in the tail. Please check your center and hop_length settings.", UserWarning, stacklevel=2)
        y = tritorch.cat([y, y.new_zeros(batch + (end - total,))], -1)
    return y
