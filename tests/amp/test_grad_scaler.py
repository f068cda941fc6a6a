"""tritorch.amp.GradScaler: scaling, unscaling, skipped steps, scale updates, state, host syncs."""
import numpy as np
import pytest

import tritorch as torch
import tritorch.nn as nn
import tritorch.nn.functional as F


def setup(lr=0.1):
    torch.manual_seed(0)
    model = nn.Linear(4, 3).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x, y = torch.randn(6, 4, device="cuda"), torch.randn(6, 3, device="cuda")
    return model, opt, x, y


def test_a_scaled_step_equals_the_unscaled_step_and_the_scale_grows():
    model, opt, x, y = setup()
    ref = nn.Linear(4, 3).cuda()
    ref.load_state_dict(model.state_dict())
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cuda", init_scale=1024.0, growth_interval=2)
    for step in range(2):
        for m, o, s in ((model, opt, scaler), (ref, ref_opt, None)):
            o.zero_grad()
            loss = F.mse_loss(m(x), y)
            if s is None:
                loss.backward()
                o.step()
            else:
                s.scale(loss).backward()
                s.step(o)
                s.update()
        for p, r in zip(model.parameters(), ref.parameters()):
            np.testing.assert_allclose(p.detach().cpu().numpy(), r.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)
    assert scaler.get_scale() == 2048.0                          # two clean steps, growth_interval=2
    assert scaler.state_dict() == {"scale": 2048.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                   "growth_interval": 2, "_growth_tracker": 0}


def test_an_inf_gradient_skips_the_step_and_backs_off():
    model, opt, x, y = setup()
    scaler = torch.amp.GradScaler(init_scale=256.0)
    before = [p.detach().clone() for p in model.parameters()]
    scaler.scale(F.mse_loss(model(x), y)).backward()
    model.bias.grad[1] = float("inf")
    assert scaler.step(opt) is None
    scaler.update()
    for p, b in zip(model.parameters(), before):
        assert torch.equal(p.detach(), b)
    assert scaler.get_scale() == 128.0 and scaler._get_growth_tracker() == 0
    opt.zero_grad()
    scaler.scale(F.mse_loss(model(x), y)).backward()
    model.weight.grad[0, 0] = float("nan")
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 64.0


def test_unscale_then_clip_and_misuse_errors():
    model, opt, x, y = setup()
    scaler = torch.amp.GradScaler(init_scale=8.0)
    with pytest.raises(RuntimeError, match="did not use scaler.scale"):
        scaler.step(opt)
    scaler.scale(F.mse_loss(model(x), y)).backward()
    scaled = model.weight.grad.clone()
    scaler.unscale_(opt)
    np.testing.assert_allclose(model.weight.grad.cpu().numpy(), scaled.cpu().numpy() / 8, rtol=1e-6)
    with pytest.raises(RuntimeError, match="already been called on this optimizer"):
        scaler.unscale_(opt)
    nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0)
    scaler.update()
    with pytest.raises(ValueError, match="growth factor must be > 1.0"):
        torch.amp.GradScaler(growth_factor=0.5)


def test_state_dict_round_trip_and_disabled_scaler():
    scaler = torch.amp.GradScaler(init_scale=32.0, growth_interval=7)
    other = torch.amp.GradScaler()
    other.load_state_dict(scaler.state_dict())
    assert other.get_scale() == 32.0 and other.get_growth_interval() == 7
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        other.load_state_dict({})
    off = torch.amp.GradScaler(enabled=False)
    model, opt, x, y = setup()
    loss = F.mse_loss(model(x), y)
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    loss.backward()
    before = model.weight.detach().clone()
    off.step(opt)
    off.update()
    assert not torch.equal(model.weight.detach(), before)


def test_only_step_reads_from_the_device(monkeypatch):
    from tritorch.cuda import transfer
    model, opt, x, y = setup()
    scaler = torch.amp.GradScaler()
    scaler.scale(F.mse_loss(model(x), y)).backward()              # compile and create state first
    scaler.step(opt)
    scaler.update()
    opt.zero_grad()
    kinds = []
    real = transfer._memcpy

    def counting(dst, src, nbytes, kind):
        kinds.append(kind)
        return real(dst, src, nbytes, kind)
    monkeypatch.setattr(transfer, "_memcpy", counting)
    scaler.scale(F.mse_loss(model(x), y)).backward()
    scaler.unscale_(opt)
    assert "dtoh" not in kinds
    scaler.step(opt)
    assert kinds.count("dtoh") == 1
    scaler.update()
    assert kinds.count("dtoh") == 1
