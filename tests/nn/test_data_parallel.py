"""nn.DataParallel on one device: the module runs unchanged, `.module` is the wrapped module and the
state dict keys carry PyTorch's `module.` prefix (checked against PyTorch when it is installed)."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn


def _net():
    tritorch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def test_cpu_wraps_the_module(monkeypatch):
    monkeypatch.setattr(tritorch.cuda, "is_available", lambda: False)
    net = _net()
    dp = nn.DataParallel(net)
    assert dp.module is net and dp.device_ids == []
    x = tritorch.randn(5, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), net(x).detach().numpy())
    keys = list(dp.state_dict())
    assert keys == ["module." + k for k in net.state_dict()]
    fresh = nn.DataParallel(_net())
    fresh.load_state_dict(dp.state_dict())
    dp(x).sum().backward()
    assert net[0].weight.grad is not None


def test_cuda_moves_inputs_and_outputs(rng):
    net = _net()
    dp = nn.DataParallel(net, device_ids=[0], output_device=0)
    assert net[0].weight.device.type == "cuda"
    a = rng.standard_normal((5, 3)).astype(np.float32)
    out = dp(tritorch.tensor(a))  # a CPU input is scattered to device_ids[0]
    assert out.device.type == "cuda"
    ref = _net()(tritorch.tensor(a))
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    net.to("cpu")
    with pytest.raises(RuntimeError, match=r"module must have its parameters and buffers on device cuda:0"):
        dp(tritorch.tensor(a))


def test_state_dict_keys_match_torch():
    torch = pytest.importorskip("torch")
    ours = nn.DataParallel(_net())
    theirs = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                                       torch.nn.ReLU(), torch.nn.Linear(4, 2)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
