"""Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop and LBFGS take the same steps on the emulated cuda
device as on the CPU (they are tensor ops, so the device follows the parameters)."""
import numpy as np
import pytest

import tritorch


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"])
def test_same_steps_on_cuda(name, rng):
    p0 = rng.standard_normal((3, 5)).astype(np.float32)
    outs = []
    for dev in ("cpu", "cuda"):
        p = tritorch.tensor(p0, device=dev, requires_grad=True)
        opt = getattr(tritorch.optim, name)([p], lr=0.05, weight_decay=0.1) if name != "Rprop" else \
            tritorch.optim.Rprop([p], lr=0.05)
        for _ in range(3):
            p.grad = p.detach() * 2 + 1
            opt.step()
        assert all(v.device.type in (dev, "cpu") for v in opt.state[p].values() if tritorch.is_tensor(v))
        outs.append(p.detach().cpu().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-6, atol=1e-7)


def test_lbfgs_on_cuda(rng):
    w0 = rng.standard_normal(4).astype(np.float32)
    outs = []
    for dev in ("cpu", "cuda"):
        w = tritorch.tensor(w0, device=dev, requires_grad=True)
        opt = tritorch.optim.LBFGS([w], max_iter=4, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = ((w - 1) ** 2).sum() + (w ** 4).sum()
            loss.backward()
            return loss
        opt.step(closure)
        outs.append(w.detach().cpu().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)
