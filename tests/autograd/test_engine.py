"""backward/grad: accumulation, retain_graph, hooks, retain_grad, grad modes, higher-order gradients."""
import numpy as np
import pytest

import tritorch
from tritorch.autograd import grad


def test_issue_example_and_accumulation():
    x = tritorch.tensor(2.0, requires_grad=True)
    (x ** 2 + 3 * x + 1).backward()
    assert x.grad.item() == 7.0
    (x * 5).backward()
    assert x.grad.item() == 12.0  # accumulates
    x.grad = None
    (x * 5).backward()
    assert x.grad.item() == 5.0


def test_shared_subexpressions_and_diamonds(rng):
    a = rng.standard_normal(4)
    x = tritorch.tensor(a, requires_grad=True)
    y = x.exp()
    z = (y * y + y.sin() * x).sum()
    z.backward()
    e = np.exp(a)
    np.testing.assert_allclose(x.grad.numpy(), 2 * e * e + np.cos(e) * e * a + np.sin(e), rtol=1e-12)


def test_broadcast_gradients_are_reduced(rng):
    a = tritorch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = tritorch.tensor(rng.standard_normal(3), requires_grad=True)
    c = tritorch.tensor(rng.standard_normal((2, 1)), requires_grad=True)
    s = tritorch.tensor(1.5, requires_grad=True)
    (a * b + c * s).sum().backward()
    assert b.grad.shape == (3,) and c.grad.shape == (2, 1) and s.grad.shape == ()
    np.testing.assert_allclose(b.grad.numpy(), a.detach().numpy().sum(0))
    np.testing.assert_allclose(c.grad.numpy(), np.full((2, 1), 1.5 * 3))
    np.testing.assert_allclose(s.grad.numpy(), c.detach().numpy().sum() * 3)


def test_backward_errors():
    x = tritorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        tritorch.ones(2).sum().backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(tritorch.ones(3))


def test_retain_graph_and_explicit_gradient():
    x = tritorch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)
    x.grad = None
    (x * 2).backward(tritorch.tensor([1.0, 3.0]))
    assert x.grad.tolist() == [2.0, 6.0]
    x.grad = None
    (x * 2).backward(gradient=tritorch.tensor([1.0, 1.0]), inputs=[x])
    assert x.grad.tolist() == [2.0, 2.0]


def test_hooks():
    x = tritorch.ones(2, requires_grad=True)
    y = x * 2
    h = y.register_hook(lambda g: g * 10)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y.sum().backward(retain_graph=True)
    assert x.grad.tolist() == [20.0, 20.0] and seen == [[20.0, 20.0]]
    h.remove()
    x.grad = None
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        tritorch.ones(1).register_hook(lambda g: g)


def test_retain_grad_and_non_leaf_grad():
    x = tritorch.ones(2, requires_grad=True)
    y = x * 3
    y.retain_grad()
    assert y.retains_grad and not y.is_leaf
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 6.0] and x.grad.tolist() == [18.0, 18.0]
    z = x * 2
    (z * 1).sum().backward()
    assert z.grad is None
    x.retain_grad()  # a no-op on leaves
    assert x.is_leaf


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode", "set_grad_enabled"])
def test_grad_modes_as_context_managers(mode):
    x = tritorch.ones(2, requires_grad=True)
    ctx = {"no_grad": tritorch.no_grad, "inference_mode": tritorch.inference_mode,
           "set_grad_enabled": lambda: tritorch.set_grad_enabled(False)}[mode]
    with ctx():
        y = x * 2
        assert not tritorch.is_grad_enabled()
        with tritorch.enable_grad():
            z = x * 2
            assert tritorch.is_grad_enabled()
    assert tritorch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad


def test_grad_modes_as_decorators_and_calls():
    x = tritorch.ones(2, requires_grad=True)

    @tritorch.no_grad()
    def f1(v):
        return v * 2

    @tritorch.no_grad
    def f2(v):
        return v * 2

    @tritorch.inference_mode()
    def f3(v):
        return v * 2

    @tritorch.inference_mode
    def f4(v):
        return v * 2

    @tritorch.set_grad_enabled(False)
    def f5(v):
        return v * 2

    @tritorch.enable_grad()
    def f6(v):
        return v * 2

    for f in (f1, f2, f3, f4, f5):
        assert not f(x).requires_grad and tritorch.is_grad_enabled()
    with tritorch.no_grad():
        assert f6(x).requires_grad
    with tritorch.inference_mode(False):
        assert tritorch.is_grad_enabled()
    tritorch.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        tritorch.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with pytest.raises(ValueError):
        with tritorch.no_grad():
            raise ValueError("restored even on error")
    assert tritorch.is_grad_enabled()


def test_detach_and_requires_grad_flags():
    x = tritorch.ones(2, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and np.shares_memory(d.numpy(), y.detach().numpy())
    y.detach_()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype can require gradients"):
        tritorch.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        (x * 2).requires_grad_(False)
    assert tritorch.zeros(2).requires_grad_().requires_grad
    assert not (x > 0).requires_grad and not x.argmax().requires_grad and not x.long().requires_grad


def test_data_is_a_detached_alias():
    x = tritorch.ones(2, requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.is_leaf
    d.mul_(3)  # not recorded, no leaf error
    assert x.tolist() == [3.0, 3.0] and x.requires_grad
    x.data = tritorch.zeros(2)
    assert x.tolist() == [0.0, 0.0] and x.requires_grad


def test_grad_function_and_allow_unused():
    x = tritorch.tensor([1.0, 2.0], requires_grad=True)
    z = tritorch.tensor([3.0], requires_grad=True)
    gx, = grad((x * x).sum(), x)
    assert gx.tolist() == [2.0, 4.0] and x.grad is None and not gx.requires_grad
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        grad((x * 2).sum(), [x, z])
    gx, gz = grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gz is None
    gx, gz = grad((x * 2).sum(), [x, z], allow_unused=True, materialize_grads=True)
    assert gz.tolist() == [0.0]
    g, = grad(x * 2, x, grad_outputs=tritorch.tensor([1.0, 3.0]))
    assert g.tolist() == [2.0, 6.0]
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        grad((x * 2).sum(), tritorch.ones(1))


def test_higher_order_gradients():
    x = tritorch.tensor(2.0, requires_grad=True)
    y = x ** 3
    g1, = grad(y, x, create_graph=True)
    assert g1.item() == 12.0 and g1.requires_grad
    g2, = grad(g1, x, create_graph=True)
    assert g2.item() == 12.0
    g3, = grad(g2, x)
    assert g3.item() == 6.0
    w = tritorch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v = tritorch.tensor([1.0, -1.0], requires_grad=True)
    out = ((w @ v) ** 2).sum()
    gv, = grad(out, v, create_graph=True)
    hess_row, = grad(gv[0], v)  # d/dv of 2 W^T W v, first row: 2 (W^T W)[0]
    wtw = np.array([[1.0, 2.0], [3.0, 4.0]]).T @ np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(hess_row.numpy(), 2 * wtw[0])
    x = tritorch.ones(2, requires_grad=True)
    (x ** 2).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gg, = grad(x.grad.sum(), x)
    assert gg.tolist() == [2.0, 2.0]


def test_deep_graph_does_not_recurse():
    x = tritorch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_gradcheck_detects_a_wrong_gradient():
    class Wrong(tritorch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            return v * v

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 v g

    x = tritorch.tensor([1.0, 2.0], dtype=tritorch.float64, requires_grad=True)
    with pytest.raises(tritorch.autograd.GradcheckError, match="Jacobian mismatch"):
        tritorch.autograd.gradcheck(Wrong.apply, (x,))
    assert tritorch.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
