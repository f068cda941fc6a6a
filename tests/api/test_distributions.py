"""tritorch.distributions against torch.distributions: log_prob, entropy, gradients, KL, shapes, sampling."""
import numpy as np
import pytest

import tritorch


@pytest.fixture
def oracle():
    return pytest.importorskip("torch")


def _both(oracle, a, requires_grad=False):
    return (tritorch.tensor(a, requires_grad=requires_grad), oracle.tensor(a, requires_grad=requires_grad))


def _close(x, y, **kw):
    np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-5, atol=1e-6, **kw)


def test_categorical_matches_pytorch(oracle, rng):
    logits = rng.standard_normal((4, 5)).astype(np.float32)
    value = rng.integers(0, 5, (3, 4))
    (a, b) = _both(oracle, logits, requires_grad=True)
    for kw in ("logits", "probs"):
        arg_a, arg_b = (a, b) if kw == "logits" else (a.softmax(-1), b.softmax(-1))
        p = tritorch.distributions.Categorical(**{kw: arg_a})
        q = oracle.distributions.Categorical(**{kw: arg_b})
        assert tuple(p.batch_shape) == tuple(q.batch_shape) == (4,) and tuple(p.event_shape) == ()
        _close(p.probs, q.probs), _close(p.logits, q.logits)
        _close(p.log_prob(tritorch.tensor(value)), q.log_prob(oracle.tensor(value)))
        _close(p.entropy(), q.entropy())
        (p.log_prob(tritorch.tensor(value)).sum() + p.entropy().sum()).backward()
        (q.log_prob(oracle.tensor(value)).sum() + q.entropy().sum()).backward()
        _close(a.grad, b.grad)
        a.grad, b.grad = None, None
        assert p.mode.tolist() == q.mode.tolist()
    s = p.sample((2, 3))
    assert s.shape == (2, 3, 4) and s.dtype is tritorch.int64 and s.min() >= 0 and s.max() < 5
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        tritorch.distributions.Categorical()
    with pytest.raises(ValueError, match="Simplex"):
        tritorch.distributions.Categorical(probs=tritorch.tensor([0.5, -0.1]))
    with pytest.raises(ValueError, match="support"):
        p.log_prob(tritorch.tensor([7, 0, 0, 0]))


def test_categorical_sampling_frequencies():
    tritorch.manual_seed(0)
    d = tritorch.distributions.Categorical(probs=tritorch.tensor([0.1, 0.6, 0.3]))
    counts = np.bincount(d.sample((20000,)).numpy(), minlength=3) / 20000
    np.testing.assert_allclose(counts, [0.1, 0.6, 0.3], atol=0.015)


def test_normal_matches_pytorch_and_rsample_has_gradients(oracle, rng):
    loc = rng.standard_normal(6).astype(np.float32)
    scale = (rng.random(6) + 0.5).astype(np.float32)
    value = rng.standard_normal((2, 6)).astype(np.float32)
    (la, lb), (sa, sb) = _both(oracle, loc, True), _both(oracle, scale, True)
    p, q = tritorch.distributions.Normal(la, sa), oracle.distributions.Normal(lb, sb)
    _close(p.log_prob(tritorch.tensor(value)), q.log_prob(oracle.tensor(value)))
    _close(p.entropy(), q.entropy()), _close(p.cdf(tritorch.tensor(value)), q.cdf(oracle.tensor(value)))
    (p.log_prob(tritorch.tensor(value)).sum() + p.entropy().sum()).backward()
    (q.log_prob(oracle.tensor(value)).sum() + q.entropy().sum()).backward()
    _close(la.grad, lb.grad), _close(sa.grad, sb.grad)
    x = p.rsample((3,))
    assert x.shape == (3, 6) and x.requires_grad and not p.sample().requires_grad
    x.sum().backward()
    p2, q2 = tritorch.distributions.Normal(0.0, 2.0), oracle.distributions.Normal(0.0, 2.0)
    _close(tritorch.distributions.kl_divergence(p, p2), oracle.distributions.kl_divergence(q, q2))
    with pytest.raises(ValueError, match="GreaterThan"):
        tritorch.distributions.Normal(0.0, -1.0)


def test_bernoulli_matches_pytorch(oracle, rng):
    logits = rng.standard_normal(5).astype(np.float32)
    value = rng.integers(0, 2, 5).astype(np.float32)
    (a, b) = _both(oracle, logits, True)
    p, q = tritorch.distributions.Bernoulli(logits=a), oracle.distributions.Bernoulli(logits=b)
    _close(p.log_prob(tritorch.tensor(value)), q.log_prob(oracle.tensor(value)))
    _close(p.entropy(), q.entropy()), _close(p.probs, q.probs)
    p2 = tritorch.distributions.Bernoulli(probs=tritorch.full((5,), 0.3))
    q2 = oracle.distributions.Bernoulli(probs=oracle.full((5,), 0.3))
    _close(tritorch.distributions.kl_divergence(p, p2), oracle.distributions.kl_divergence(q, q2))
    c1 = tritorch.distributions.Categorical(logits=tritorch.tensor([[0.1, 0.5, -1.0]]))
    c2 = tritorch.distributions.Categorical(probs=tritorch.tensor([[0.2, 0.2, 0.6]]))
    o1 = oracle.distributions.Categorical(logits=oracle.tensor([[0.1, 0.5, -1.0]]))
    o2 = oracle.distributions.Categorical(probs=oracle.tensor([[0.2, 0.2, 0.6]]))
    _close(tritorch.distributions.kl_divergence(c1, c2), oracle.distributions.kl_divergence(o1, o2))
    s = p2.sample((4,))
    assert s.shape == (4, 5) and set(np.unique(s.numpy())) <= {0.0, 1.0}


def test_reinforce_idiom_runs():
    """pytorch/examples' REINFORCE: sample an action, keep its log-prob, step on -log_prob * return."""
    policy = tritorch.nn.Sequential(tritorch.nn.Linear(4, 16), tritorch.nn.ReLU(), tritorch.nn.Linear(16, 2))
    opt = tritorch.optim.Adam(policy.parameters(), lr=1e-2)
    state = tritorch.randn(1, 4)
    m = tritorch.distributions.Categorical(logits=policy(state))
    action = m.sample()
    loss = (-m.log_prob(action) * 1.5).sum()
    opt.zero_grad()
    loss.backward()
    assert all(p.grad is not None for p in policy.parameters())
    opt.step()
