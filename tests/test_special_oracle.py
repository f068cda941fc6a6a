"""Oracle: erfinv (polynomial + Newton on erf, exact gradient), erfc, logit, xlogy, sinc and the
torch.special names against PyTorch, on the CPU and the emulated cuda device."""
import numpy as np
import pytest

import tritorch

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-6), ("float64", 1e-10)])
def test_erfinv_values_and_grad(dtype, tol, rng):
    x = np.concatenate([rng.uniform(-1, 1, 200), [0.0, 0.999999, -0.999999, 1.0, -1.0, 1.5]]).astype(dtype)
    a, b = tritorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = tritorch.erfinv(a), torch.erfinv(b)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=tol * 3, atol=tol)
    inner = np.abs(x) < 0.99
    (ya * tritorch.tensor(inner.astype(dtype))).sum().backward()
    (yb * torch.tensor(inner.astype(dtype))).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol * 10, atol=tol)
    t = tritorch.tensor(x[:50], device="cuda")
    np.testing.assert_allclose(t.erfinv().cpu().numpy(), yb.detach().numpy()[:50], rtol=1e-5, atol=1e-6)


def test_special_functions(rng):
    x = rng.uniform(0.01, 0.99, 50)
    y = rng.standard_normal(50)
    y[:3] = 0.0
    z = np.concatenate([[0.0, 0.0], rng.standard_normal(48)])
    pairs = [(tritorch.special.logit(tritorch.tensor(x)), torch.special.logit(torch.tensor(x))),
             (tritorch.special.logit(tritorch.tensor(x), eps=0.1), torch.special.logit(torch.tensor(x), eps=0.1)),
             (tritorch.special.erfc(tritorch.tensor(y)), torch.special.erfc(torch.tensor(y))),
             (tritorch.special.expm1(tritorch.tensor(y)), torch.special.expm1(torch.tensor(y))),
             (tritorch.special.sinc(tritorch.tensor(y)), torch.special.sinc(torch.tensor(y))),
             (tritorch.special.expit(tritorch.tensor(y)), torch.special.expit(torch.tensor(y))),
             (tritorch.special.xlogy(tritorch.tensor(z), tritorch.tensor(np.abs(y))),
              torch.special.xlogy(torch.tensor(z), torch.tensor(np.abs(y))))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
