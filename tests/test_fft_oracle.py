"""Oracle: torch.fft's real-valued helpers (fftfreq, rfftfreq, fftshift, ifftshift) against PyTorch.
The transforms themselves are compared in tests/oracle/test_fft_transforms.py."""
import numpy as np
import pytest

import tritorch

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_frequencies(n):
    for d in (1.0, 0.25):
        np.testing.assert_allclose(tritorch.fft.fftfreq(n, d).numpy(), torch.fft.fftfreq(n, d).numpy(), rtol=1e-7)
        np.testing.assert_allclose(tritorch.fft.rfftfreq(n, d).numpy(), torch.fft.rfftfreq(n, d).numpy(), rtol=1e-7)
    assert tritorch.fft.fftfreq(n, dtype=tritorch.float64).dtype == tritorch.float64


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
def test_shifts(dim, rng):
    a = rng.standard_normal((5, 4))
    for name in ("fftshift", "ifftshift"):
        x = tritorch.tensor(a, requires_grad=True)
        y = torch.tensor(a, requires_grad=True)
        ours, theirs = getattr(tritorch.fft, name)(x, dim), getattr(torch.fft, name)(y, dim)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        w = rng.standard_normal((5, 4))
        (ours * tritorch.tensor(w)).sum().backward()
        (theirs * torch.tensor(w)).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy())
    back = tritorch.fft.ifftshift(tritorch.fft.fftshift(tritorch.tensor(a), dim), dim)
    np.testing.assert_array_equal(back.numpy(), a)


def test_shifts_of_complex_tensors(rng):
    a = rng.standard_normal((4, 5)) + 1j * rng.standard_normal((4, 5))
    np.testing.assert_array_equal(tritorch.fft.fftshift(tritorch.tensor(a)).numpy(),
                                  torch.fft.fftshift(torch.tensor(a)).numpy())
