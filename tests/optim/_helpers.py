"""Shared drivers for the optimizer tests: a quadratic problem with a known gradient, and runs
of tritorch (and, when installed, PyTorch) optimizers fed the same gradients."""
import numpy as np

import tritorch

STEPS = 10


def problem(rng, shape=(3, 5)):
    """(p0, grad): a float64 start and the gradient c * p + d of a separable quadratic."""
    p0 = rng.standard_normal(shape)
    c, d = rng.uniform(0.5, 2.0, shape), rng.standard_normal(shape)
    return p0, lambda p: c * p + d


def run(make_opt, p0, grad, dtype=np.float32, steps=STEPS):
    """Parameters after `steps` updates of tritorch's optimizer, the gradient set by hand each step."""
    p = tritorch.tensor(p0.astype(dtype), requires_grad=True)
    opt = make_opt([p])
    for _ in range(steps):
        p.grad = tritorch.tensor(grad(p.detach().numpy().astype(np.float64)).astype(dtype))
        opt.step()
    return p.detach().numpy(), opt


def run_torch(torch, name, kwargs, p0, grad, steps=STEPS):
    """The same run with PyTorch's optimizer `name` (float32)."""
    p = torch.tensor(p0.astype(np.float32), requires_grad=True)
    opt = getattr(torch.optim, name)([p], **kwargs)
    for _ in range(steps):
        p.grad = torch.tensor(grad(p.detach().numpy().astype(np.float64)).astype(np.float32))
        opt.step()
    return p.detach().numpy()


def close32(got, ref):
    """float32 trajectories agree with the float64 formulas to float32 rounding."""
    np.testing.assert_allclose(got, ref, rtol=2e-5, atol=2e-6)


def close64(got, ref):
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13)
