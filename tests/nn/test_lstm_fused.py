"""nn.LSTM runs each layer's recurrence as one fused node (lstm_scan); it must give the same values
and gradients as the same recurrence in Tensor ops (float64 reference), in both directions, and
stay twice differentiable."""
import numpy as np
import pytest

import tritorch
from tritorch.nn.functional.recurrent import _composed_scan, lstm_scan


def _inputs(rng, length, n, hs, dtype=tritorch.float64, bias=True):
    mk = lambda *s: tritorch.tensor(rng.standard_normal(s) * 0.7, dtype=dtype, requires_grad=True)  # noqa: E731
    return mk(length, n, 4 * hs), mk(n, hs), mk(n, hs), mk(4 * hs, hs), (mk(4 * hs) if bias else None)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_scan_matches_tensor_ops(rng, reverse, bias):
    args = _inputs(rng, 5, 3, 4, bias=bias)
    ys, c = lstm_scan(*args, reverse=reverse)
    ys_ref, c_ref = _composed_scan(*args, reverse)
    np.testing.assert_allclose(ys.detach().numpy(), ys_ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), c_ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    gy, gc = rng.standard_normal(ys.shape), rng.standard_normal(c.shape)
    leaves = [a for a in args if a is not None]
    got = tritorch.autograd.grad([ys, c], leaves, [tritorch.tensor(gy), tritorch.tensor(gc)])
    ref = tritorch.autograd.grad([ys_ref, c_ref], leaves, [tritorch.tensor(gy), tritorch.tensor(gc)])
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_scan_float32_against_float64(rng):
    args64 = _inputs(rng, 7, 2, 3)
    args32 = [a.detach().float().requires_grad_() for a in args64]
    ys, c = lstm_scan(*args32)
    ys_ref, c_ref = _composed_scan(*args64, False)
    np.testing.assert_allclose(ys.detach().numpy(), ys_ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ys.sum() + c.sum()).backward()
    (ys_ref.sum() + c_ref.sum()).backward()
    for a, b in zip(args32, args64):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_scan_is_twice_differentiable(rng):
    args = _inputs(rng, 3, 2, 2)
    ys, c = lstm_scan(*args)
    ys_ref, c_ref = _composed_scan(*args, False)
    g = tritorch.autograd.grad([(ys ** 2).sum()], [args[3]], create_graph=True)[0]
    g_ref = tritorch.autograd.grad([(ys_ref ** 2).sum()], [args[3]], create_graph=True)[0]
    gg = tritorch.autograd.grad([g.sum()], [args[0]])[0]
    gg_ref = tritorch.autograd.grad([g_ref.sum()], [args[0]])[0]
    np.testing.assert_allclose(gg.numpy(), gg_ref.numpy(), rtol=1e-10, atol=1e-12)


def test_lstm_module_uses_one_node_per_layer_and_matches_torch(rng):
    torch = pytest.importorskip("torch")
    m = tritorch.nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
    ref = torch.nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            p.copy_(torch.from_numpy(getattr(m, name).detach().numpy()))
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    out, (h, c) = m(tritorch.tensor(x))
    rout, (rh, rc) = ref(torch.from_numpy(x))
    for a, b in ((out, rout), (h, rh), (c, rc)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)
    (out.sum() + h.sum() * 2 + c.sum() * 3).backward()
    (rout.sum() + rh.sum() * 2 + rc.sum() * 3).backward()
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(getattr(m, name).grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5)
    seen, stack = set(), [out.grad_fn]
    while stack:  # the recurrence is not unrolled into per-step nodes
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(nxt for nxt, _ in getattr(node, "next_functions", ()))
    assert len(seen) < 60  # unrolled, 4 steps x 4 layer-directions would be hundreds of nodes
