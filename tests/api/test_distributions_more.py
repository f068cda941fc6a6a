"""Cauchy and OneHotCategorical against torch.distributions: log_prob, entropy, cdf/icdf, moments,
shapes, gradients of log_prob, sampling statistics and validation."""
import numpy as np
import pytest

import tritorch


def test_cauchy_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    loc, scale = rng.standard_normal(4).astype(np.float32), rng.uniform(0.2, 2, 4).astype(np.float32)
    v, q = rng.standard_normal(4).astype(np.float32), rng.uniform(0.05, 0.95, 4).astype(np.float32)
    res = []
    for lib in (tritorch, torch):
        lo = lib.tensor(loc, requires_grad=True)
        c = lib.distributions.Cauchy(lo, lib.tensor(scale))
        lp = c.log_prob(lib.tensor(v))
        lp.sum().backward()
        res.append([lp.detach().numpy(), c.entropy().numpy(), c.cdf(lib.tensor(v)).detach().numpy(),
                    c.icdf(lib.tensor(q)).detach().numpy(), lo.grad.numpy(), c.mean.numpy(), c.variance.numpy(),
                    tuple(c.rsample((3,)).shape)])
    for a, b in zip(res[0][:-1], res[1][:-1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert res[0][-1] == res[1][-1] == (3, 4)
    tritorch.manual_seed(0)
    draws = tritorch.distributions.Cauchy(1.0, 2.0).sample((20000,)).numpy()
    assert abs(np.median(draws) - 1.0) < 0.1 and abs(np.mean(np.abs(draws - 1.0) < 2.0) - 0.5) < 0.02
    with pytest.raises(ValueError, match="scale"):
        tritorch.distributions.Cauchy(0.0, -1.0)
    assert not isinstance(tritorch.distributions.Cauchy(0.0, 1.0), tritorch.distributions.Normal)


def test_one_hot_categorical_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    logits = rng.standard_normal((2, 5)).astype(np.float32)
    value = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 2)]
    res = []
    for lib in (tritorch, torch):
        lg = lib.tensor(logits, requires_grad=True)
        d = lib.distributions.OneHotCategorical(logits=lg)
        lp = d.log_prob(lib.tensor(value))
        lp.sum().backward()
        s = d.sample((7,))
        res.append([lp.detach().numpy(), d.entropy().detach().numpy(), lg.grad.numpy(), d.mean.detach().numpy(),
                    d.mode.numpy(), d.variance.detach().numpy()])
        assert tuple(s.shape) == (7, 2, 5) and (s.sum(-1).numpy() == 1).all()
        assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (5,)
    for a, b in zip(res[0], res[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="support"):
        tritorch.distributions.OneHotCategorical(probs=tritorch.ones(3) / 3).log_prob(tritorch.tensor([1.0, 1.0, 0.0]))
