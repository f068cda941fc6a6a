"""The Optimizer base: parameter groups, errors, zero_grad, closures, state_dict layout and round trips."""
import copy
import warnings

import numpy as np
import pytest

import tritorch
from tritorch import nn
from tritorch.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

MAKERS = {
    "SGD": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam": lambda ps: Adam(ps, lr=0.05, amsgrad=True),
    "AdamW": lambda ps: AdamW(ps, lr=0.05),
    "RMSprop": lambda ps: RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda ps: Adagrad(ps, lr=0.1, lr_decay=0.01),
}


def _params(rng, *shapes):
    return [tritorch.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]


def _loss(params):
    return sum(((p - 0.5) ** 2 * (i + 1)).sum() + p.sin().sum() for i, p in enumerate(params))


def _train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        _loss(params).backward()
        opt.step()


# -- construction errors ------------------------------------------------------------------------------
def test_construction_errors():
    p = tritorch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got tritorch.Tensor"):
        SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="ordering of tensors in sets will change"):
        SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is builtins.int"):
        SGD([p, 3], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        SGD([p * 2], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        SGD([p, p], lr=0.1)
    q = tritorch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        SGD([{"params": [p]}, {"params": [q, p]}], lr=0.1)
    opt = SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, but got list"):
        opt.add_param_group([q])


def test_groups_override_defaults_and_train_like_separate_optimizers(rng):
    a, b, c = _params(rng, (3,), (2, 2), (4,))
    a2, b2, c2 = (t.detach().clone().requires_grad_() for t in (a, b, c))
    opt = Adam([{"params": [a, b]}, {"params": c, "lr": 0.2, "betas": (0.5, 0.9)}], lr=0.05)
    assert opt.param_groups[1]["params"] == [c] and opt.param_groups[1]["eps"] == 1e-8
    assert opt.param_groups[0]["lr"] == 0.05 and opt.param_groups[1]["betas"] == (0.5, 0.9)
    o1, o2 = Adam([a2, b2], lr=0.05), Adam([c2], lr=0.2, betas=(0.5, 0.9))
    for _ in range(4):
        for o in (opt, o1, o2):
            o.zero_grad()
        _loss([a, b, c]).backward()
        _loss([a2, b2, c2]).backward()
        for o in (opt, o1, o2):
            o.step()
    for x, y in [(a, a2), (b, b2), (c, c2)]:
        np.testing.assert_array_equal(x.detach().numpy(), y.detach().numpy())


def test_add_param_group_later(rng):
    a, b = _params(rng, (3,), (3,))
    opt = SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.01
    b0 = b.detach().numpy().copy()
    _train(opt, [a, b], 1)
    g = 2 * (b0 - 0.5) * 2 + np.cos(b0)
    np.testing.assert_allclose(b.detach().numpy(), b0 - 0.01 * g, rtol=1e-6, atol=1e-6)


def test_params_without_grad_are_skipped(rng):
    a, b = _params(rng, (3,), (3,))
    b0 = b.detach().numpy().copy()
    for make in MAKERS.values():
        opt = make([a, b])
        opt.zero_grad()
        (a * a).sum().backward()
        opt.step()
        assert b.grad is None
        np.testing.assert_array_equal(b.detach().numpy(), b0)
        if not isinstance(opt, Adagrad):                # Adagrad creates state at construction, as PyTorch
            assert b not in opt.state


def test_zero_grad(rng):
    (p,) = _params(rng, (3,))
    opt = SGD([p], lr=0.1)
    (p * 2).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and not p.grad.requires_grad
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(3, np.float32))
    opt.zero_grad()
    assert p.grad is None


def test_closure_runs_with_grad_enabled_and_returns_loss(rng):
    (p,) = _params(rng, (3,))
    opt = SGD([p], lr=0.1)
    calls = []

    def closure():
        calls.append(tritorch.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    p0 = p.detach().numpy().copy()
    with tritorch.no_grad():
        loss = opt.step(closure)
    assert calls == [True]
    assert loss.item() == pytest.approx(float((p0 * p0).sum()), rel=1e-6)
    np.testing.assert_allclose(p.detach().numpy(), p0 - 0.1 * 2 * p0, rtol=1e-6)
    assert opt.step() is None


def test_step_bumps_the_version_counter(rng):
    (p,) = _params(rng, (3,))
    opt = SGD([p], lr=0.1)
    (p * p).sum().backward()
    y = (p * p).sum()                                   # saves p for backward
    v = p._version
    opt.step()
    assert p._version == v + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_repr():
    p = tritorch.zeros(2, requires_grad=True)
    r = repr(SGD([p], lr=0.1, momentum=0.9))
    assert r.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in r and "    momentum: 0.9\n" in r
    assert r.index("dampening") < r.index("lr") < r.index("momentum") and r.endswith(")")


# -- state_dict ---------------------------------------------------------------------------------------
def test_state_dict_layout(rng):
    a, b, c = _params(rng, (3,), (2,), (4,))
    opt = Adam([{"params": [a, b]}, {"params": [c], "lr": 0.2}], lr=0.05)
    _train(opt, [a, b, c], 2)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.2 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(sd["state"]) == [0, 1, 2]
    assert set(sd["state"][2]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][2]["exp_avg"] is opt.state[c]["exp_avg"]          # live, as in PyTorch
    step = sd["state"][0]["step"]
    assert step.dtype is tritorch.float32 and step.shape == () and step.item() == 2


def test_load_state_dict_clones_and_casts(rng):
    (p,) = _params(rng, (3,))
    opt = Adam([p], lr=0.05)
    _train(opt, [p], 1)
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].double()
    sd["param_groups"][0]["lr"] = 0.5
    q = p.detach().clone().requires_grad_()
    opt2 = Adam([q], lr=0.05)
    opt2.load_state_dict(sd)
    st = opt2.state[q]
    assert st["exp_avg"].dtype is tritorch.float32 and st["step"].dtype is tritorch.float32
    assert opt2.param_groups[0]["lr"] == 0.5 and opt2.param_groups[0]["params"] == [q]
    sd["state"][0]["exp_avg_sq"].zero_()
    assert st["exp_avg_sq"].abs().sum().item() > 0                       # cloned, not aliased


def test_load_state_dict_errors(rng):
    a, b = _params(rng, (3,), (3,))
    sd = SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        SGD([a], lr=0.1).load_state_dict(sd)


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize("via", ["deepcopy", "save"])
def test_state_dict_round_trip_continues_identically(rng, tmp_path, name, via):
    params = _params(rng, (3, 2), (4,))
    opt = MAKERS[name](params)
    _train(opt, params, 3)
    if via == "save":
        tritorch.save({"params": params, "opt": opt.state_dict()}, tmp_path / "ckpt.safetensors")
        ck = tritorch.load(tmp_path / "ckpt.safetensors")
        clones = [t.detach().requires_grad_() for t in ck["params"]]
        sd = ck["opt"]
    else:
        clones = [p.detach().clone().requires_grad_() for p in params]
        sd = copy.deepcopy(opt.state_dict())
    opt2 = MAKERS[name](clones)
    opt2.load_state_dict(sd)
    _train(opt, params, 4)
    _train(opt2, clones, 4)
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_named_parameters_record_names(rng):
    model = nn.Linear(3, 2)
    opt = AdamW(model.named_parameters(), lr=0.01)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"] == [model.weight, model.bias]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_linear_regression_converges(rng):
    x = tritorch.tensor(rng.standard_normal((64, 3)).astype(np.float32))
    w_true = tritorch.tensor([[1.5, -2.0, 0.5]])
    y = x @ w_true.T + 0.3
    for make in [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.05),
                 lambda ps: RMSprop(ps, lr=0.03), lambda ps: Adagrad(ps, lr=0.5)]:
        model = nn.Linear(3, 1)
        opt = make(model.parameters())
        for _ in range(150):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
        assert loss.item() < 1e-2, (opt, loss.item())


def test_a_subclass_writing_only_update(rng):
    class SignSGD(Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def _update(self, p, state, group):
            p.sub_(group["lr"] * p.grad.sign())

    (p,) = _params(rng, (4,))
    p0 = p.detach().numpy().copy()
    opt = SignSGD([p])
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), p0 - 0.1 * np.sign(p0), rtol=1e-6)


def test_optimizers_on_cuda_match_cpu(rng):
    """The cuda device (emulated in CI) runs the same fused updates; loaded state follows the param."""
    for name in ["SGD", "Adam", "RMSprop", "Adagrad"]:
        results = []
        for dev in ["cpu", "cuda"]:
            params = [p.detach().to(dev).requires_grad_() for p in _params(np.random.default_rng(0), (5,))]
            opt = MAKERS[name](params)
            _train(opt, params, 2)
            results.append(params[0].detach().cpu().numpy())
        np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=1e-6)
    p = tritorch.zeros(3, requires_grad=True)
    opt = Adam([p])
    p.grad = tritorch.ones(3)
    opt.step()
    q = tritorch.zeros(3, device="cuda", requires_grad=True)
    opt2 = Adam([q])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt2.load_state_dict(opt.state_dict())
    assert opt2.state[q]["exp_avg"].device.type == "cuda" and opt2.state[q]["step"].device.type == "cpu"


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_state_dicts_interchange_with_pytorch(rng, name):
    """PyTorch's state dict loads into tritorch's optimizer and vice versa; both continue alike."""
    torch = pytest.importorskip("torch")
    kwargs = {"SGD": dict(lr=0.05, momentum=0.9), "Adam": dict(lr=0.05, amsgrad=True),
              "RMSprop": dict(lr=0.01, centered=True, momentum=0.5), "Adagrad": dict(lr=0.1)}[name]
    p0 = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(6)]

    def convert(sd, to):
        return {"state": {k: {n: to(v) for n, v in st.items()} for k, st in sd["state"].items()},
                "param_groups": copy.deepcopy(sd["param_groups"])}

    tp = torch.tensor(p0, requires_grad=True)
    topt = getattr(torch.optim, name)([tp], **kwargs)
    ours = tritorch.tensor(p0, requires_grad=True)
    opt = getattr(tritorch.optim, name)([ours], **kwargs)
    for g in grads[:3]:
        tp.grad, ours.grad = torch.tensor(g), tritorch.tensor(g)
        topt.step()
        opt.step()
    # swap: each optimizer continues from the other's state on a copy of the other's parameter
    mine = tritorch.tensor(tp.detach().numpy(), requires_grad=True)
    opt2 = getattr(tritorch.optim, name)([mine], **kwargs)
    opt2.load_state_dict(convert(topt.state_dict(), lambda t: tritorch.tensor(t.numpy())))
    theirs = torch.tensor(ours.detach().numpy(), requires_grad=True)
    topt2 = getattr(torch.optim, name)([theirs], **kwargs)
    topt2.load_state_dict(convert(opt.state_dict(), lambda t: torch.tensor(t.numpy())))
    for g in grads[3:]:
        mine.grad, theirs.grad = tritorch.tensor(g), torch.tensor(g)
        opt2.step()
        topt2.step()
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert opt2.state[mine].keys() == topt2.state[theirs].keys()
