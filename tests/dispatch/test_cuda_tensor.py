"""cuda tensors end to end on the emulated device: devices, factories and moves, device checks,
seeded random streams, autograd against the CPU, and no device-to-host copies in a training step."""
import numpy as np
import pytest

import tritorch as torch

from cuda_cases import assert_same, count_copies, host


def test_devices_factories_and_moves():
    x = torch.arange(6.0).reshape(2, 3)
    for g in (x.to("cuda"), x.cuda(), x.to(torch.device("cuda:0")), torch.tensor(x.tolist(), device="cuda")):
        assert g.is_cuda and g.device == torch.device("cuda", 0) and str(g.device) == "cuda:0"
        assert_same(g, x)
    assert x.cuda().cpu().device.type == "cpu" and not x.cuda().cpu().is_cuda
    assert "device='cuda:0'" in repr(x.cuda())
    assert x.cuda().sum().item() == 15.0 and x.cuda().tolist() == x.tolist()
    for name, args in [("zeros", (2, 3)), ("ones", (2, 3)), ("empty", (4,))]:
        t = getattr(torch, name)(*args, device="cuda", dtype=torch.float16)
        assert t.is_cuda and t.dtype is torch.float16 and t.shape == args
    assert_same(torch.full((2, 2), -1.5, device="cuda"), torch.full((2, 2), -1.5))
    assert_same(torch.arange(1, 10, 3, device="cuda"), torch.arange(1, 10, 3))
    assert_same(torch.arange(0.0, 1.0, 0.3, device="cuda"), torch.arange(0.0, 1.0, 0.3))
    assert_same(torch.linspace(-2, 3, 6, device="cuda"), torch.linspace(-2, 3, 6), 1e-7)
    assert_same(torch.eye(3, 5, device="cuda", dtype=torch.int64), torch.eye(3, 5, dtype=torch.int64))
    assert_same(torch.zeros_like(x.cuda()), torch.zeros_like(x))
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        x.cuda().numpy()


def test_device_mismatch_is_an_error():
    a, b = torch.ones(3), torch.ones(3, device="cuda")
    msg = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
    for fn in (lambda: a + b, lambda: b * a, lambda: a @ b, lambda: torch.cat([a, b]),
               lambda: torch.where(b > 0, a, b)):
        with pytest.raises(RuntimeError, match=msg):
            fn()
    assert_same(b + torch.tensor(2.0), torch.full((3,), 3.0))        # 0-d CPU tensors ride along


def test_random_numbers_are_seeded_philox_streams():
    torch.manual_seed(7)
    a, b = torch.rand(1000, device="cuda"), torch.rand(1000, device="cuda")
    torch.manual_seed(7)
    a2 = torch.rand(1000, device="cuda")
    assert_same(a2, a)
    assert not torch.equal(a.cpu(), b.cpu())
    for t in (a, torch.rand(500, device="cuda", dtype=torch.float64)):
        v = host(t)
        assert v.min() >= 0 and v.max() < 1 and abs(v.mean() - 0.5) < 0.05 and len(np.unique(v)) > 0.95 * v.size
    n = host(torch.randn(2000, device="cuda"))
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1) < 0.1
    n64 = host(torch.randn(2000, device="cuda", dtype=torch.float64))
    assert abs(n64.mean()) < 0.1 and abs(n64.std() - 1) < 0.1
    r = host(torch.randint(-3, 5, (3000,), device="cuda"))
    assert r.min() == -3 and r.max() == 4 and len(np.unique(r)) == 8
    gen = torch.Generator().manual_seed(3)
    c = torch.randn(5, generator=gen, device="cuda")
    gen.manual_seed(3)
    assert_same(torch.randn(5, generator=gen, device="cuda"), c.cpu().cuda())
    p = torch.randperm(50, device="cuda")
    assert sorted(host(p).tolist()) == list(range(50))
    m = host(torch.bernoulli(torch.full((4000,), 0.3, device="cuda")))
    assert set(np.unique(m)) <= {0.0, 1.0} and abs(m.mean() - 0.3) < 0.05
    d = torch.empty(3000, device="cuda").bernoulli_(0.8)
    assert abs(host(d).mean() - 0.8) < 0.05
    u = torch.empty(1000, device="cuda").uniform_(-2, 2)
    assert -2 <= host(u).min() and host(u).max() < 2


def test_autograd_through_cuda_tensors_matches_cpu():
    torch.manual_seed(0)
    w = torch.randn(5, 4, dtype=torch.float64)
    x = torch.randn(3, 5, dtype=torch.float64)
    idx = torch.tensor([2, 0, 1])
    grads = []
    for device in ("cpu", "cuda"):
        wd = w.clone().to(device).requires_grad_()
        xd = x.clone().to(device).requires_grad_()
        h = (xd @ wd + 0.5).tanh()
        loss = (h.log_softmax(-1).gather(1, idx.to(device)[:, None]).sum() + h[:, 1:].pow(2).mean()
                + h.logsumexp(0).sum() + h.amax(1).sum() + h[h > 0].sum() + h.cumsum(1).sum() * 0.1
                + (h.T.flip(0) * xd[:, :4].T).sum() + h.var(0).sum())
        loss.backward()
        grads.append((loss.detach(), wd.grad, xd.grad))
        assert wd.grad.device.type == device
    for cpu, gpu in zip(*grads):
        assert_same(gpu, cpu, 1e-10)


def test_forward_backward_makes_no_device_to_host_copies(monkeypatch):
    torch.manual_seed(0)
    w = torch.randn(6, 4, device="cuda", requires_grad=True)
    b = torch.zeros(4, device="cuda", requires_grad=True)
    x = torch.randn(5, 6, device="cuda")
    copies = count_copies(monkeypatch, "dtoh")
    h = (x @ w + b).relu()
    loss = ((h - 0.5) ** 2).mean() + h.softmax(-1).amax(1).sum()
    loss.backward()
    w.data.sub_(0.1 * w.grad)
    assert copies == []
    assert loss.item() > 0 and len(copies) == 1                     # item() is the one, deliberate sync
