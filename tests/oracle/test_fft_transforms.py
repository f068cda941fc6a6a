"""Oracle: torch.fft's transforms and torch.stft/istft against PyTorch on odd shapes with fresh random
inputs: values, dtypes, shapes, error messages, and the gradients of a real loss (complex weights
times the output), which exercise the adjoints and the c2r transforms' Hermitian doubling."""
import warnings

import numpy as np
import pytest

import tritorch

torch = pytest.importorskip("torch")

TOL = {np.float32: 2e-5, np.float64: 1e-11}


def _host(t):
    t = t.detach()
    return t.resolve_conj().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def _close(ours, theirs, tol):
    a, b = _host(ours), _host(theirs)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale)


def _weights(rng, like):
    shape = tuple(like.shape)
    w = rng.standard_normal(shape)
    return w + 1j * rng.standard_normal(shape) if like.is_complex() else w


def _real_loss(lib, out, w):
    prod = out * lib.tensor(w.astype(_host(out).dtype))
    return (prod.real if prod.is_complex() else prod).sum()


CASES = [("fft", "c", {}), ("fft", "r", dict(n=9)), ("ifft", "c", dict(n=4, dim=1, norm="ortho")),
         ("rfft", "r", dict(n=6)), ("rfft", "r", dict(dim=0, norm="forward")), ("irfft", "c", {}),
         ("irfft", "c", dict(n=9, dim=0, norm="forward")), ("irfft", "r", dict(n=5)),
         ("fft2", "c", {}), ("ifft2", "c", dict(s=(3, 8))), ("fftn", "r", dict(dim=(0, 2))),
         ("ifftn", "c", dict(norm="forward")), ("rfft2", "r", {}), ("irfft2", "c", dict(s=(4, 9))),
         ("rfftn", "r", dict(norm="ortho")), ("irfftn", "c", {}), ("irfftn", "c", dict(s=(6,), dim=(1,))),
         ("hfft", "c", {}), ("hfft", "c", dict(n=11, norm="ortho")), ("ihfft", "r", {}),
         ("ihfft", "r", dict(n=4, norm="forward")), ("hfft2", "c", {}), ("ihfft2", "r", {}),
         ("hfftn", "c", dict(s=(4, 6))), ("ihfftn", "r", dict(dim=(0, 1))), ("fft", "i", {}), ("rfftn", "i", {})]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["32", "64"])
@pytest.mark.parametrize("name, kind, kwargs", CASES, ids=[f"{n}-{k}-{kw}" for n, k, kw in CASES])
def test_transform_values_dtypes_and_gradients(name, kind, kwargs, dtype, rng):
    shape = (3, 5, 7)
    a = rng.standard_normal(shape)
    if kind == "c":
        a = (a + 1j * rng.standard_normal(shape)).astype(np.complex64 if dtype == np.float32 else np.complex128)
    elif kind == "i":
        a = rng.integers(-5, 5, shape)
    else:
        a = a.astype(dtype)
    grad = kind != "i"
    ours_in, theirs_in = tritorch.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)
    ours = getattr(tritorch.fft, name)(ours_in, **kwargs)
    theirs = getattr(torch.fft, name)(theirs_in, **kwargs)
    tol = TOL[np.float32 if kind == "i" else dtype]
    _close(ours, theirs, tol)
    if grad:
        w = _weights(rng, theirs)
        _real_loss(tritorch, ours, w).backward()
        _real_loss(torch, theirs, w).backward()
        _close(ours_in.grad, theirs_in.grad, tol)


def test_out_argument(rng):
    a = rng.standard_normal((4, 6)).astype(np.float32)
    out = tritorch.empty(0, dtype=tritorch.complex64)
    res = tritorch.fft.rfft(tritorch.tensor(a), out=out)
    assert res is out and tuple(out.shape) == (4, 4)
    np.testing.assert_allclose(out.numpy(), torch.fft.rfft(torch.tensor(a)).numpy(), atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda L: L.fft.fft(L.ones(5), norm="foo"),
    lambda L: L.fft.fft(L.ones(5), n=0),
    lambda L: L.fft.fft(L.ones(5), dim=2),
    lambda L: L.fft.fft(L.ones(4, dtype=L.float16)),
    lambda L: L.fft.rfft(L.ones(4, dtype=L.complex64)),
    lambda L: L.fft.ihfft(L.ones(4, dtype=L.complex64)),
    lambda L: L.fft.fftn(L.ones(4, 3), s=(2, 2, 2)),
    lambda L: L.fft.fftn(L.ones(4, 3), s=(2,), dim=(0, 1)),
    lambda L: L.fft.fftn(L.ones(4, 3), dim=(0, 0)),
    lambda L: L.fft.fft(L.ones(4, 3), out=L.empty(4, 3)),
    lambda L: L.fft.irfft(L.ones(1, dtype=L.complex64)),
    lambda L: L.fft.fft(L.ones(())),
    lambda L: L.fft.rfftn(L.ones(())),
])
def test_errors_match_pytorch(call):
    def error(lib):
        with pytest.raises(Exception) as e:
            call(lib)
        return type(e.value).__name__, str(e.value)
    assert error(tritorch) == error(torch)


STFT_CASES = [((101,), 16, dict(hop_length=5)), ((2, 77), 20, dict(win_length=13, pad_mode="constant")),
              ((64,), 15, dict(center=False, normalized=True)), ((3, 50), 8, dict(onesided=False)),
              ((90,), 32, dict(pad_mode="replicate", hop_length=7))]


@pytest.mark.parametrize("shape, n_fft, kwargs", STFT_CASES, ids=[str(c) for c in STFT_CASES])
def test_stft_and_istft(shape, n_fft, kwargs, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.uniform(0.5, 1.0, kwargs.get("win_length", n_fft)).astype(np.float32)
    xs = [tritorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)]
    ws = [tritorch.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)]
    outs = [lib.stft(xi, n_fft, window=wi, return_complex=True, **kwargs) for lib, xi, wi in
            zip((tritorch, torch), xs, ws)]
    _close(outs[0], outs[1], 2e-5)
    g = _weights(rng, outs[1])
    _real_loss(tritorch, outs[0], g).backward()
    _real_loss(torch, outs[1], g).backward()
    _close(xs[0].grad, xs[1].grad, 2e-5)
    _close(ws[0].grad, ws[1].grad, 2e-5)
    if not kwargs.get("center", True):
        return
    inv = {k: v for k, v in kwargs.items() if k != "pad_mode"}
    spec = _host(outs[1])
    ss = [tritorch.tensor(spec, requires_grad=True), torch.tensor(spec, requires_grad=True)]
    ws = [tritorch.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)]
    ys = [lib.istft(si, n_fft, window=wi, length=shape[-1], return_complex=inv.get("onesided") is False, **inv)
          for lib, si, wi in zip((tritorch, torch), ss, ws)]
    _close(ys[0], ys[1], 2e-5)
    np.testing.assert_allclose(_host(ys[0]).real, x, atol=1e-4)   # the round trip recovers the signal
    g = _weights(rng, ys[1])
    _real_loss(tritorch, ys[0], g).backward()
    _real_loss(torch, ys[1], g).backward()
    _close(ss[0].grad, ss[1].grad, 2e-5)
    _close(ws[0].grad, ws[1].grad, 2e-5)


@pytest.mark.parametrize("call", [
    lambda L: L.stft(L.ones(50), 16),
    lambda L: L.stft(L.ones(50), 64, center=False, return_complex=True),
    lambda L: L.stft(L.ones(50), 16, return_complex=True, align_to_window=True),
    lambda L: L.stft(L.ones(50), 16, hop_length=0, return_complex=True),
    lambda L: L.stft(L.ones(50), 16, win_length=20, return_complex=True),
    lambda L: L.stft(L.ones(50, dtype=L.complex64), 16, onesided=True, return_complex=True),
    lambda L: L.istft(L.ones(9, 4), 16),
])
def test_stft_errors_match_pytorch(call):
    def error(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as e:
                call(lib)
        return type(e.value).__name__, str(e.value).split(" : ")[-1]   # PyTorch's prefix prints its own types
    assert error(tritorch) == error(torch)
