"""Oracle: PolynomialLR, CyclicLR and CosineAnnealingWarmRestarts give PyTorch's lr (and momentum)
sequences, and resume from their state_dicts."""
import numpy as np
import pytest

import tritorch

torch = pytest.importorskip("torch")

MAKERS = {
    "poly": lambda S, o: S.PolynomialLR(o, total_iters=6, power=0.7),
    "poly_default": lambda S, o: S.PolynomialLR(o),
    "cyclic": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, step_size_down=5),
    "cyclic_tri2": lambda S, o: S.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=2, mode="triangular2"),
    "cyclic_exp": lambda S, o: S.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=4, mode="exp_range", gamma=0.9,
                                          base_momentum=0.7, max_momentum=0.95),
    "cyclic_fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5 ** x,
                                         scale_mode="iterations", cycle_momentum=False),
    "warm": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=4, eta_min=0.001),
    "warm_mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
}


def _optimizers(lib, adam):
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    return lib.optim.Adam(groups, lr=0.1) if adam else lib.optim.SGD(groups, lr=0.1, momentum=0.9)


def _trace(lib, name, adam, steps=20):
    opt = _optimizers(lib, adam)
    sched = MAKERS[name](lib.optim.lr_scheduler, opt)
    out = []
    for _ in range(steps):
        opt.step()
        sched.step()
        g = opt.param_groups
        out.append([x["lr"] for x in g] + [x["betas"][0] if adam else x["momentum"] for x in g])
    return np.array(out, dtype=np.float64)


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("adam", [False, True])
def test_sequence_matches_torch(name, adam):
    np.testing.assert_allclose(_trace(tritorch, name, adam), _trace(torch, name, adam), rtol=1e-12, atol=1e-15)


def test_warm_restarts_fractional_epochs():
    seqs = []
    for lib in (tritorch, torch):
        opt = _optimizers(lib, False)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01)
        lrs = []
        for epoch in range(6):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
                lrs.append(sched.get_last_lr())
        seqs.append(np.array(lrs))
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12)


@pytest.mark.parametrize("name", ["poly", "cyclic_exp", "warm_mult"])
def test_state_dict_resume(name):
    full = _trace(tritorch, name, False, steps=12)
    opt = _optimizers(tritorch, False)
    sched = MAKERS[name](tritorch.optim.lr_scheduler, opt)
    for _ in range(5):
        opt.step()
        sched.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    opt2 = _optimizers(tritorch, False)
    opt2.load_state_dict(saved_opt)
    sched2 = MAKERS[name](tritorch.optim.lr_scheduler, opt2)
    sched2.load_state_dict(saved)
    rest = []
    for _ in range(7):
        opt2.step()
        sched2.step()
        rest.append([g["lr"] for g in opt2.param_groups])
    np.testing.assert_allclose(np.array(rest), full[5:, :2], rtol=1e-12)


def test_errors_match_torch():
    for make in (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
                 lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
                 lambda S, o: S.CyclicLR(o, 0.1, 1.0, mode="zigzag")):
        with pytest.raises(ValueError) as ours:
            make(tritorch.optim.lr_scheduler, _optimizers(tritorch, False))
        with pytest.raises(ValueError) as theirs:
            make(torch.optim.lr_scheduler, _optimizers(torch, False))
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="momentum or beta1"):
        tritorch.optim.lr_scheduler.CyclicLR(tritorch.optim.Adagrad([tritorch.zeros(1, requires_grad=True)]),
                                             0.1, 1.0)
