"""RMSprop and Adagrad against the documented algorithms (float64 numpy, written here)."""
import itertools

import numpy as np
import pytest

import tritorch
from tritorch.optim import Adagrad, RMSprop

from ._helpers import STEPS, close32, close64, problem, run, run_torch


def rmsprop_ref(p, grad, lr, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False,
                steps=STEPS):
    p, v, gbar, b = p.copy(), 0 * p, 0 * p, 0 * p
    for _ in range(steps):
        g = grad(p)
        g = -g if maximize else g
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        v_tilde = v
        if centered:
            gbar = alpha * gbar + (1 - alpha) * g
            v_tilde = v - gbar * gbar
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            p = p - lr * b
        else:
            p = p - lr * g / (np.sqrt(v_tilde) + eps)
    return p


def adagrad_ref(p, grad, lr, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False,
                steps=STEPS):
    p = p.copy()
    s = np.full_like(p, initial_accumulator_value)
    for t in range(1, steps + 1):
        g = grad(p)
        g = -g if maximize else g
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
    return p


RMS = [dict(lr=0.01, alpha=alpha, weight_decay=wd, momentum=mom, centered=c, maximize=mx)
       for alpha, wd, mom, c, mx in itertools.product([0.9, 0.3], [0, 0.1], [0, 0.5], [False, True],
                                                      [False, True])]
ADA = [dict(lr=0.1, lr_decay=d, weight_decay=wd, initial_accumulator_value=acc, maximize=mx)
       for d, wd, acc, mx in itertools.product([0, 0.1], [0, 0.1], [0, 0.5], [False, True])]


def _id(c):
    return "-".join(f"{k}={v}" for k, v in c.items() if k != "lr")


@pytest.mark.parametrize("cfg", RMS, ids=_id)
def test_rmsprop_matches_documented_algorithm(rng, cfg):
    p0, grad = problem(rng)
    got, opt = run(lambda ps: RMSprop(ps, **cfg), p0, grad)
    if cfg["centered"]:  # v - gbar^2 cancels in float32 when gradients barely vary (2-3% of seeds > 2e-5)
        np.testing.assert_allclose(got, rmsprop_ref(p0, grad, **cfg), rtol=1e-4, atol=5e-5)
    else:
        close32(got, rmsprop_ref(p0, grad, **cfg))
    state = opt.state[opt.param_groups[0]["params"][0]]
    expected = {"step", "square_avg"} | ({"momentum_buffer"} if cfg["momentum"] else set()) | (
        {"grad_avg"} if cfg["centered"] else set())
    assert set(state) == expected and state["step"].item() == STEPS


@pytest.mark.parametrize("cfg", ADA, ids=_id)
def test_adagrad_matches_documented_algorithm(rng, cfg):
    p0, grad = problem(rng)
    got, opt = run(lambda ps: Adagrad(ps, **cfg), p0, grad)
    close32(got, adagrad_ref(p0, grad, **cfg))
    assert opt.state[opt.param_groups[0]["params"][0]]["step"].item() == STEPS


def test_float64(rng):
    p0, grad = problem(rng)
    cfg = dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.5, centered=True)
    close64(run(lambda ps: RMSprop(ps, **cfg), p0, grad, dtype=np.float64)[0], rmsprop_ref(p0, grad, **cfg))
    cfg = dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5)
    close64(run(lambda ps: Adagrad(ps, **cfg), p0, grad, dtype=np.float64)[0], adagrad_ref(p0, grad, **cfg))


def test_adagrad_state_exists_from_construction():
    p = tritorch.ones(3, requires_grad=True)
    opt = Adagrad([p], initial_accumulator_value=0.25)
    np.testing.assert_array_equal(opt.state[p]["sum"].numpy(), np.full(3, 0.25, np.float32))
    assert opt.state[p]["step"].item() == 0
    assert opt.state_dict()["state"][0]["sum"].shape == (3,)


def test_defaults_and_errors():
    p = tritorch.zeros(2, requires_grad=True)
    assert RMSprop([p]).defaults["lr"] == 1e-2 and RMSprop([p]).defaults["alpha"] == 0.99
    assert Adagrad([p]).defaults["eps"] == 1e-10
    for kwargs, msg in [(dict(lr=-1), "Invalid learning rate: -1"), (dict(eps=-1), "Invalid epsilon value: -1"),
                        (dict(momentum=-1), "Invalid momentum value: -1"), (dict(alpha=-1), "Invalid alpha value: -1"),
                        (dict(weight_decay=-1), "Invalid weight_decay value: -1")]:
        with pytest.raises(ValueError, match=msg):
            RMSprop([p], **kwargs)
    for kwargs, msg in [(dict(lr=-1), "Invalid learning rate: -1"), (dict(lr_decay=-1), "Invalid lr_decay value: -1"),
                        (dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
                        (dict(eps=-1), "Invalid epsilon value: -1")]:
        with pytest.raises(ValueError, match=msg):
            Adagrad([p], **kwargs)


@pytest.mark.parametrize("name,cfg", [("RMSprop", c) for c in RMS[::4]] + [("Adagrad", c) for c in ADA[::3]])
def test_matches_pytorch(rng, name, cfg):
    torch = pytest.importorskip("torch")
    p0, grad = problem(rng)
    got, _ = run(lambda ps: getattr(tritorch.optim, name)(ps, **cfg), p0, grad)
    np.testing.assert_allclose(got, run_torch(torch, name, cfg, p0, grad), rtol=1e-6, atol=1e-6)
