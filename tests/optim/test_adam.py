"""Adam and AdamW against the documented algorithms (float64 numpy, written here)."""
import itertools

import numpy as np
import pytest

import tritorch
from tritorch.optim import Adam, AdamW

from ._helpers import STEPS, close32, close64, problem, run, run_torch


def adam_ref(p, grad, lr, betas, eps=1e-8, weight_decay=0, amsgrad=False, maximize=False, decoupled=False,
             steps=STEPS):
    """PyTorch's documented Adam / AdamW (decoupled) with bias corrections and AMSGrad."""
    beta1, beta2 = betas
    p, m, v, vmax = p.copy(), 0 * p, 0 * p, 0 * p
    for t in range(1, steps + 1):
        g = grad(p)
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if amsgrad:
            vmax = np.maximum(vmax, v)
            v_hat = vmax / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        m_hat = m / (1 - beta1 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


CONFIGS = [dict(lr=0.05, betas=betas, weight_decay=wd, amsgrad=ams, maximize=mx)
           for betas, wd, ams, mx in itertools.product([(0.9, 0.999), (0.3, 0.9)], [0, 0.1], [False, True],
                                                       [False, True])]


def _id(c):
    return "-".join(f"{k}={v}" for k, v in c.items() if k != "lr")


@pytest.mark.parametrize("decoupled", [False, True], ids=["Adam", "AdamW"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_adam_matches_documented_algorithm(rng, cfg, decoupled):
    p0, grad = problem(rng)
    cls = AdamW if decoupled else Adam
    got, opt = run(lambda ps: cls(ps, **cfg), p0, grad)
    close32(got, adam_ref(p0, grad, decoupled=decoupled, **cfg))
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if cfg["amsgrad"] else set())
    assert state["step"].dtype is tritorch.float32 and state["step"].shape == () and state["step"].item() == STEPS


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_float64(rng, cls):
    p0, grad = problem(rng)
    cfg = dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.05, amsgrad=True)
    got, _ = run(lambda ps: cls(ps, **cfg), p0, grad, dtype=np.float64)
    close64(got, adam_ref(p0, grad, decoupled=cls is AdamW, **cfg))


def test_adam_decoupled_weight_decay_flag_is_adamw(rng):
    p0, grad = problem(rng)
    a, _ = run(lambda ps: Adam(ps, lr=0.05, weight_decay=0.3, decoupled_weight_decay=True), p0, grad)
    b, _ = run(lambda ps: AdamW(ps, lr=0.05, weight_decay=0.3), p0, grad)
    c, _ = run(lambda ps: Adam(ps, lr=0.05, weight_decay=0.3), p0, grad)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3          # L2 and decoupled decay differ


def test_adamw_defaults_and_errors():
    p = tritorch.zeros(2, requires_grad=True)
    assert AdamW([p]).defaults["weight_decay"] == 1e-2 and Adam([p]).defaults["weight_decay"] == 0
    assert AdamW([p]).defaults["betas"] == (0.9, 0.999)
    for kwargs, msg in [(dict(lr=-1), "Invalid learning rate: -1"), (dict(eps=-1e-8), "Invalid epsilon value"),
                        (dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
                        (dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
                        (dict(weight_decay=-1), "Invalid weight_decay value: -1")]:
        for cls in (Adam, AdamW):
            with pytest.raises(ValueError, match=msg.replace("(", r"\(")):
                cls([p], **kwargs)


@pytest.mark.parametrize("cfg", CONFIGS[::3], ids=_id)
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_matches_pytorch(rng, cfg, name):
    torch = pytest.importorskip("torch")
    p0, grad = problem(rng)
    got, _ = run(lambda ps: getattr(tritorch.optim, name)(ps, **cfg), p0, grad)
    np.testing.assert_allclose(got, run_torch(torch, name, cfg, p0, grad), rtol=1e-6, atol=1e-6)
