"""SGD against the documented algorithm (written here in float64 numpy) for every flag combination."""
import itertools

import numpy as np
import pytest

import tritorch
from tritorch.optim import SGD

from ._helpers import STEPS, close32, close64, problem, run, run_torch


def sgd_ref(p, grad, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False, steps=STEPS):
    """PyTorch's documented SGD: b_1 = g_1, b_t = mu b_{t-1} + (1 - tau) g_t."""
    p, b = p.copy(), None
    for _ in range(steps):
        g = grad(p)
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum != 0:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
    return p


def _configs():
    for momentum, dampening, wd, nesterov, maximize in itertools.product([0, 0.9], [0, 0.5], [0, 0.1],
                                                                       [False, True], [False, True]):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        yield dict(lr=0.05, momentum=momentum, dampening=dampening, weight_decay=wd, nesterov=nesterov,
                   maximize=maximize)


CONFIGS = list(_configs())


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items() if k != "lr"))
def test_sgd_matches_documented_algorithm(rng, cfg):
    p0, grad = problem(rng)
    got, opt = run(lambda ps: SGD(ps, **cfg), p0, grad)
    close32(got, sgd_ref(p0, grad, **cfg))
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert set(state) == ({"momentum_buffer"} if cfg["momentum"] else set())


@pytest.mark.parametrize("cfg", [CONFIGS[-1], dict(lr=0.1, momentum=0.5, dampening=0.1, weight_decay=0.01)])
def test_sgd_float64(rng, cfg):
    p0, grad = problem(rng)
    got, _ = run(lambda ps: SGD(ps, **cfg), p0, grad, dtype=np.float64)
    assert got.dtype == np.float64
    close64(got, sgd_ref(p0, grad, **cfg))


def test_sgd_bfloat16_state_stays_bfloat16(rng):
    p0, grad = problem(rng)
    got, opt = run(lambda ps: SGD(ps, lr=0.05, momentum=0.9), p0, grad, dtype=tritorch.bfloat16.np)
    (p,) = opt.param_groups[0]["params"]
    assert p.dtype is tritorch.bfloat16 and opt.state[p]["momentum_buffer"].dtype is tritorch.bfloat16
    np.testing.assert_allclose(got.astype(np.float64), sgd_ref(p0, grad, lr=0.05, momentum=0.9), rtol=0.05,
                               atol=0.05)


def test_sgd_defaults_and_errors():
    p = tritorch.zeros(2, requires_grad=True)
    assert SGD([p]).defaults["lr"] == 1e-3
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid momentum value: -0.5"):
        SGD([p], momentum=-0.5)
    with pytest.raises(ValueError, match="Invalid weight_decay value: -1"):
        SGD([p], weight_decay=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        SGD([p], momentum=0.9, dampening=0.1, nesterov=True)


@pytest.mark.parametrize("cfg", CONFIGS[::3])
def test_sgd_matches_pytorch(rng, cfg):
    torch = pytest.importorskip("torch")
    p0, grad = problem(rng)
    got, _ = run(lambda ps: SGD(ps, **cfg), p0, grad)
    np.testing.assert_allclose(got, run_torch(torch, "SGD", cfg, p0, grad), rtol=1e-6, atol=1e-6)
