"""Oracle: Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop and LBFGS follow PyTorch's trajectories,
and their state_dicts round-trip (a resumed run equals an uninterrupted one)."""
import copy

import numpy as np
import pytest

import tritorch
import tritorch.optim as optim

from ._helpers import close32, problem, run, run_torch

torch = pytest.importorskip("torch")

CASES = [
    ("Adadelta", {}), ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", {}), ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.05)),
    ("NAdam", {}), ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", {}), ("RAdam", dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("ASGD", {}), ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1)),
    ("Rprop", {}), ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_trajectory_matches_torch(name, kw, rng):
    p0, grad = problem(rng)
    ours, _ = run(lambda ps: getattr(optim, name)(ps, **kw), p0, grad, steps=12)
    close32(ours, run_torch(torch, name, kw, p0, grad, steps=12))


@pytest.mark.parametrize("name,kw", CASES[::2], ids=[n for n, _ in CASES[::2]])
def test_state_dict_round_trip(name, kw, rng):
    p0, grad = problem(rng)
    full, _ = run(lambda ps: getattr(optim, name)(ps, **kw), p0, grad, steps=8)
    half, opt = run(lambda ps: getattr(optim, name)(ps, **kw), p0, grad, steps=4)
    saved = copy.deepcopy(opt.state_dict())
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kw)
    p = torch.zeros(1, requires_grad=True)
    p.grad = torch.zeros(1)
    theirs = getattr(torch.optim, name)([p], **kw)
    theirs.step()
    assert sorted(saved["state"][0]) == sorted(theirs.state_dict()["state"][0])
    assert sorted(saved["param_groups"][0]) == sorted(theirs.state_dict()["param_groups"][0])
    q = tritorch.tensor(half, requires_grad=True)
    resumed = getattr(optim, name)([q], **kw)
    resumed.load_state_dict(saved)
    for _ in range(4):
        q.grad = tritorch.tensor(grad(q.detach().numpy().astype(np.float64)).astype(np.float32))
        resumed.step()
    np.testing.assert_array_equal(q.detach().numpy(), full)


def _regression(rng):
    a = rng.standard_normal((20, 4)).astype(np.float32)
    b = (a @ rng.standard_normal(4) + 0.1 * rng.standard_normal(20)).astype(np.float32)
    w0 = rng.standard_normal(4).astype(np.float32)
    return a, b, w0


def _lbfgs_run(lib, a, b, w0, kw, steps):
    w = lib.tensor(w0, requires_grad=True)
    x, y = lib.tensor(a), lib.tensor(b)
    opt = lib.optim.LBFGS([w], **kw)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (((x @ w) - y) ** 2).mean() + 0.1 * (w ** 4).sum()
        loss.backward()
        calls.append(float(loss.detach()))
        return loss

    losses = [float(opt.step(closure)) for _ in range(steps)]
    return w.detach().numpy(), losses, len(calls), opt


@pytest.mark.parametrize("kw", [dict(max_iter=4), dict(line_search_fn="strong_wolfe", max_iter=4),
                                dict(lr=0.5, max_iter=5, history_size=3),
                                dict(line_search_fn="strong_wolfe", max_iter=5, history_size=2)], ids=str)
def test_lbfgs_matches_torch(kw, rng):
    """One step (up to max_iter iterations) from the same start: same points, losses and closure
    counts, with few enough iterations to stay above float32's noise floor (near the minimum the
    line searches see rounding noise and legitimately take different paths)."""
    a, b, w0 = _regression(rng)
    ours = _lbfgs_run(tritorch, a, b, w0, kw, 1)
    theirs = _lbfgs_run(torch, a, b, w0, kw, 1)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-4, atol=1e-5)
    assert ours[2] == theirs[2]  # the same number of closure evaluations
    assert ours[3].state[ours[3]._params[0]]["func_evals"] == theirs[3].state[theirs[3]._params[0]]["func_evals"]
    w, losses, _, _ = _lbfgs_run(tritorch, a, b, w0, kw, 3)
    w_t, losses_t, _, _ = _lbfgs_run(torch, a, b, w0, kw, 3)
    np.testing.assert_allclose(losses, losses_t, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w, w_t, rtol=1e-3, atol=1e-3)
    assert losses[-1] < losses[0]


def test_lbfgs_errors():
    w = tritorch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": [w]}, {"params": [tritorch.zeros(1, requires_grad=True)]}])
    opt = optim.LBFGS([w], line_search_fn="armijo")

    def closure():
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_argument_errors_match_torch():
    p = [tritorch.zeros(1, requires_grad=True)]
    tp = [torch.zeros(1, requires_grad=True)]
    for name, kw in [("Adadelta", dict(rho=1.5)), ("Adamax", dict(betas=(1.0, 0.9))), ("NAdam", dict(lr=-1)),
                     ("RAdam", dict(eps=-1)), ("Rprop", dict(etas=(1.5, 1.2))), ("ASGD", dict(weight_decay=-1))]:
        with pytest.raises(ValueError) as ours:
            getattr(optim, name)(p, **kw)
        with pytest.raises(ValueError) as theirs:
            getattr(torch.optim, name)(tp, **kw)
        assert str(ours.value) == str(theirs.value)
