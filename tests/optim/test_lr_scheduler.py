"""Learning-rate schedulers: sequences against closed forms and hand-computed values, warnings,
state_dict round trips (through tritorch.save), and PyTorch when installed."""
import math
import warnings

import pytest

import tritorch
from tritorch.optim import SGD, Adam
from tritorch.optim import lr_scheduler as S

BASE = [0.1, 0.02]


def _opt(cls=SGD, **kw):
    a, b = tritorch.zeros(2, requires_grad=True), tritorch.zeros(3, requires_grad=True)
    return cls([{"params": [a]}, {"params": [b], "lr": BASE[1]}], lr=BASE[0], **kw)


def _lrs(opt, sched, epochs, metrics=None):
    """[lrs at epoch 0, 1, ...]: optimizer.step() then scheduler.step(), as a training loop does."""
    seq = [list(sched.get_last_lr())]
    for e in range(epochs):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[e])
        seq.append(list(sched.get_last_lr()))
        assert seq[-1] == [g["lr"] for g in opt.param_groups]
    return seq


def _close(seq, expected):
    assert len(seq) == len(expected)
    for got, want in zip(seq, expected):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


CLOSED = {
    "StepLR": (lambda o: S.StepLR(o, step_size=3, gamma=0.5), lambda b, t: b * 0.5 ** (t // 3)),
    "MultiStepLR": (lambda o: S.MultiStepLR(o, milestones=[5, 2, 5], gamma=0.1),
                    lambda b, t: b * 0.1 ** ((t >= 2) + 2 * (t >= 5))),
    "ExponentialLR": (lambda o: S.ExponentialLR(o, gamma=0.9), lambda b, t: b * 0.9 ** t),
    "CosineAnnealingLR": (lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
                          lambda b, t: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * t / 5)) / 2),
    "LinearLR": (lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=4),
                 lambda b, t: b * (0.25 + 0.5 * min(t, 4) / 4)),
    "ConstantLR": (lambda o: S.ConstantLR(o, factor=0.5, total_iters=3), lambda b, t: b * (0.5 if t < 3 else 1)),
    "LambdaLR": (lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)), lambda b, t: b / (1 + t)),
    "MultiplicativeLR": (lambda o: S.MultiplicativeLR(o, lambda e: 0.8), lambda b, t: b * 0.8 ** t),
}


@pytest.mark.parametrize("name", list(CLOSED))
def test_sequence_matches_closed_form(name):
    make, form = CLOSED[name]
    opt = _opt()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # the right calling order never warns
        seq = _lrs(opt, make(opt), 22)                    # cosine: past T_max it rises again (4 half periods)
    _close(seq, [[form(b, t) for b in BASE] for t in range(23)])
    assert [g["initial_lr"] for g in opt.param_groups] == BASE


def test_lambda_per_group_and_errors():
    opt = _opt()
    sched = S.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: 1.0 + e])
    _close(_lrs(opt, sched, 3), [[0.1 * 0.5 ** t, 0.02 * (1 + t)] for t in range(4)])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])


def test_constructor_errors():
    opt = _opt()
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        S.StepLR(3, step_size=1)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1"):
        S.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected to be greater than 0"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\]"):
        S.StepLR(_opt(), step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode maxi is unknown!"):
        S.ReduceLROnPlateau(opt, mode="maxi")


def test_step_before_optimizer_step_warns_once():
    opt = _opt()
    sched = S.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()


def test_get_lr_outside_step_warns_and_step_epoch_uses_closed_form():
    opt = _opt()
    sched = S.StepLR(opt, step_size=3, gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(7)
    assert sched.get_last_lr() == pytest.approx([b * 0.25 for b in BASE])


def _cos(start, end, pct):
    return end + (start - end) / 2 * (1 + math.cos(math.pi * pct))


def test_one_cycle_cos_with_sgd_momentum():
    opt = _opt(momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=10)     # rise to step 2, anneal to step 9
    momenta = [opt.param_groups[0]["momentum"]]
    seq = [list(sched.get_last_lr())]
    for _ in range(9):
        opt.step()
        sched.step()
        seq.append(list(sched.get_last_lr()))
        momenta.append(opt.param_groups[0]["momentum"])
    exp = []
    for t in range(10):
        lr = [_cos(m / 25, m, t / 2) if t <= 2 else _cos(m, m / 25 / 1e4, (t - 2) / 7) for m in (1.0, 0.5)]
        exp.append(lr)
        mom = _cos(0.95, 0.85, t / 2) if t <= 2 else _cos(0.85, 0.95, (t - 2) / 7)
        assert momenta[t] == pytest.approx(mom, rel=1e-12)
    _close(seq, exp)
    assert seq[0] == pytest.approx([0.04, 0.02]) and seq[2] == pytest.approx([1.0, 0.5])
    assert seq[9] == pytest.approx([4e-6, 2e-6])
    opt.step()
    sched.step()                                                      # step 10 == total_steps is allowed
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        sched.step()


def test_one_cycle_three_phase_linear_with_adam_betas():
    opt = _opt(Adam, betas=(0.9, 0.99))
    sched = S.OneCycleLR(opt, max_lr=1.0, epochs=2, steps_per_epoch=5, anneal_strategy="linear", three_phase=True,
                         base_momentum=0.8, max_momentum=0.9)
    seq, betas = [sched.get_last_lr()[0]], [opt.param_groups[0]["betas"]]
    for _ in range(9):
        opt.step()
        sched.step()
        seq.append(sched.get_last_lr()[0])
        betas.append(opt.param_groups[0]["betas"])
    lin = lambda s, e, pct: s + (e - s) * pct  # noqa: E731
    exp = [lin(0.04, 1, t / 2) if t <= 2 else lin(1, 0.04, (t - 2) / 2) if t <= 4 else lin(0.04, 4e-6, (t - 4) / 5)
           for t in range(10)]
    assert seq == pytest.approx(exp, rel=1e-12)
    assert [b[1] for b in betas] == [0.99] * 10
    assert [b[0] for b in betas] == pytest.approx(
        [lin(0.9, 0.8, t / 2) if t <= 2 else lin(0.8, 0.9, (t - 2) / 2) if t <= 4 else 0.9 for t in range(10)])


def test_one_cycle_errors():
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        S.OneCycleLR(_opt(), max_lr=1.0)
    with pytest.raises(ValueError, match="Expected positive integer total_steps, but got 0"):
        S.OneCycleLR(_opt(), max_lr=1.0, total_steps=0)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got exp"):
        S.OneCycleLR(_opt(), max_lr=1.0, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr must have the same length as optimizer.param_groups"):
        S.OneCycleLR(_opt(), max_lr=[1.0], total_steps=5)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.OneCycleLR(_opt(tritorch.optim.Adagrad), max_lr=1.0, total_steps=5)


def test_sequential_warmup_then_decay():
    opt = _opt()
    warm = S.LinearLR(opt, start_factor=0.1, total_iters=2)
    decay = S.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched = S.SequentialLR(opt, [warm, decay], milestones=[3])
        seq = _lrs(opt, sched, 6)
    factors = [0.1, 0.55, 1.0, 1.0, 0.5, 0.25, 0.125]
    _close(seq, [[b * f for b in BASE] for f in factors])
    with pytest.raises(ValueError, match="expects number of schedulers provided to be one more than the number"):
        S.SequentialLR(opt, [warm, decay], milestones=[])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.SequentialLR(opt, [warm, S.ReduceLROnPlateau(opt)], milestones=[2])


def test_reduce_on_plateau_by_hand():
    opt = _opt()
    sched = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1, threshold=0.1, cooldown=1,
                                min_lr=[0.0, 0.015])
    metrics = [1.0, 0.95, 0.93, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    # better means < 0.9 * best: 1.0 best; 0.95, 0.93 bad (2 > patience: cut, cooldown 1); 0.5 best
    # (cooldown ends); two bad epochs: cut; the next bad epoch is eaten by the cooldown; two more: cut
    seq = _lrs(opt, sched, len(metrics), metrics)
    f = [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    _close([s[:1] for s in seq], [[0.1 * x] for x in f])
    assert [s[1] for s in seq] == pytest.approx([0.02, 0.02, 0.02, 0.015, 0.015, 0.015, 0.015, 0.015, 0.015, 0.015])
    mx = S.ReduceLROnPlateau(_opt(), mode="max", threshold_mode="abs", threshold=1.0, patience=0)
    mx.step(5.0)
    mx.step(5.5)                                      # not better by 1.0 (abs): cut at once (patience 0)
    assert mx.get_last_lr() == pytest.approx([0.01, 0.002]) and mx.best == 5.0


STATEFUL = {
    "StepLR": lambda o: S.StepLR(o, step_size=2, gamma=0.5),
    "MultiStepLR": lambda o: S.MultiStepLR(o, milestones=[3, 6, 6]),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, T_max=4),
    "LambdaLR": lambda o: S.LambdaLR(o, lambda e: 0.9 ** e),
    "OneCycleLR": lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=12),
    "SequentialLR": lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=2),
                                                 S.CosineAnnealingLR(o, T_max=5)], milestones=[4]),
    "ReduceLROnPlateau": lambda o: S.ReduceLROnPlateau(o, patience=0, factor=0.5),
}


@pytest.mark.parametrize("name", list(STATEFUL))
def test_state_dict_round_trip_through_save(tmp_path, name):
    metrics = [3.0, 2.0, 2.5, 2.5, 1.0, 1.5, 1.5, 1.2, 0.5, 0.7, 0.7] if name == "ReduceLROnPlateau" else None
    opt = _opt(momentum=0.9)
    sched = STATEFUL[name](opt)
    _lrs(opt, sched, 5, metrics)
    tritorch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "s.safetensors")
    ck = tritorch.load(tmp_path / "s.safetensors")
    opt2 = _opt(momentum=0.9)
    sched2 = STATEFUL[name](opt2)
    opt2.load_state_dict(ck["opt"])
    sched2.load_state_dict(ck["sched"])
    rest = metrics[5:] if metrics else None
    a = _lrs(opt, sched, 6, rest)
    b = _lrs(opt2, sched2, 6, rest)
    assert a == b and len(set(map(tuple, a))) > 1


ORACLE = {   # the same constructor calls on either module (tritorch's or PyTorch's lr_scheduler)
    "StepLR": lambda T, o: T.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda T, o: T.MultiStepLR(o, milestones=[5, 2, 5], gamma=0.1),
    "ExponentialLR": lambda T, o: T.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda T, o: T.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
    "LinearLR": lambda T, o: T.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=4),
    "ConstantLR": lambda T, o: T.ConstantLR(o, factor=0.5, total_iters=3),
    "LambdaLR": lambda T, o: T.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 / (1 + e)]),
    "OneCycleLR": lambda T, o: T.OneCycleLR(o, max_lr=[1.0, 0.3], total_steps=16, three_phase=True),
    "OneCycleLR-linear": lambda T, o: T.OneCycleLR(o, max_lr=0.5, total_steps=16, anneal_strategy="linear",
                                                   pct_start=0.25),
    "SequentialLR": lambda T, o: T.SequentialLR(o, [T.LinearLR(o, start_factor=0.1, total_iters=3),
                                                    T.CosineAnnealingLR(o, T_max=6)], milestones=[4]),
    "ReduceLROnPlateau": lambda T, o: T.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=1, threshold=0.05),
}
PLATEAU_METRICS = [1.0, 0.9, 0.89, 0.88, 0.5, 0.6, 0.55, 0.5, 0.49, 0.3, 0.31, 0.32, 0.33, 0.2, 0.2]


@pytest.mark.parametrize("name", list(ORACLE))
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    metrics = PLATEAU_METRICS if name == "ReduceLROnPlateau" else None
    opt = _opt(momentum=0.9)
    ours = _lrs(opt, ORACLE[name](S, opt), 15, metrics)
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    topt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": BASE[1]}], lr=BASE[0], momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                     # PyTorch's SequentialLR warns about step(0)
        theirs = _lrs(topt, ORACLE[name](torch.optim.lr_scheduler, topt), 15, metrics)
    _close(ours, theirs)
    assert [g["momentum"] for g in opt.param_groups] == pytest.approx([g["momentum"] for g in topt.param_groups])
