"""In-place ops under autograd: leaf checks, version counters, setitem, and writes through views."""
import numpy as np
import pytest

import tritorch
from tritorch.autograd import gradcheck


def test_inplace_on_leaf_requiring_grad_raises():
    x = tritorch.ones(3, requires_grad=True)
    for op in (lambda: x.add_(1), lambda: x.mul_(2), lambda: x.zero_(), lambda: x.fill_(1.0),
               lambda: x.copy_(tritorch.zeros(3)), lambda: x.exp_(), lambda: x.uniform_()):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                               "operation."):
            op()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0] = 2.0
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[1:].mul_(2)
    with tritorch.no_grad():  # allowed without grad, and x stays a leaf
        x.mul_(2)
        x[0] = 5.0
    assert x.tolist() == [5.0, 2.0, 2.0] and x.is_leaf and x.requires_grad


def test_version_counter_detects_modified_saved_tensors():
    x = tritorch.ones(2, requires_grad=True)
    y = x * 2
    z = y.sin()  # saves y
    assert y._version == 0
    y.add_(1)
    assert y._version == 1
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been modified "
                                           "by an inplace operation: \\[float32 \\[2\\]\\], which is saved by "
                                           "SinBackward0, is at version 1; expected version 0 instead."):
        z.sum().backward()
    y = x * 2
    z = y + 1  # add saves nothing: modifying y afterwards is fine
    y.mul_(3)
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    y = x * 2
    v = y[0]
    w = y.sin()
    v.mul_(2)  # a write through a view bumps the base's version too
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w.sum().backward()


def test_inplace_chain_gradients(rng):
    a = rng.standard_normal(4)
    x = tritorch.tensor(a, requires_grad=True)
    y = x * 1
    y.mul_(x)
    y.add_(3)
    y.exp_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(a * a + 3) * 2 * a, rtol=1e-12)
    x = tritorch.tensor(rng.uniform(1, 2, 3), requires_grad=True)
    y = x.clone()
    y += x
    y **= 2
    y /= 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.detach().numpy(), rtol=1e-12)


def test_setitem_with_autograd():
    x = tritorch.ones(3, requires_grad=True)
    w = tritorch.tensor(5.0, requires_grad=True)
    y = x * 2
    y[1] = w * 2
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 2.0] and w.grad.item() == 2.0
    assert y.grad_fn is not None


def test_setitem_advanced_and_mask_with_autograd():
    x = tritorch.ones(4, requires_grad=True)
    w = tritorch.tensor([5.0, 6.0], requires_grad=True)
    y = x * 2
    y[[0, 2]] = w
    (y * tritorch.arange(4.0)).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0, 6.0] and w.grad.tolist() == [0.0, 2.0]
    x = tritorch.arange(4.0, requires_grad=True)
    y = x.clone()
    y[y > 1] = 0
    y.sum().backward()
    assert y.tolist() == [0.0, 1.0, 0.0, 0.0] and x.grad.tolist() == [1.0, 1.0, 0.0, 0.0]
    x = tritorch.zeros(2, 3, requires_grad=True)
    v = tritorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x + 0
    y[:, tritorch.tensor([True, False, True])] = v[:2].unsqueeze(1) * 1  # (2, 1) broadcast to (2, 2)
    y.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0]] * 2 and v.grad.tolist() == [2.0, 2.0, 0.0]


def test_inplace_through_a_view_rebases_the_base():
    x = tritorch.ones(3, requires_grad=True)
    y = x * 1
    v = y[1:]
    v.mul_(3)
    assert y.tolist() == [1.0, 3.0, 3.0] and y.grad_fn.name() == "CopySlicesBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 3.0, 3.0]
    x = tritorch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.clone()
    y.t()[0].mul_(10)  # column 0 of y
    (y * tritorch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert x.grad.tolist() == [[10.0, 2.0], [30.0, 4.0]]
    # the view itself also gets the new history
    x = tritorch.ones(4, requires_grad=True)
    y = x * 2
    v = y[:2]
    v.add_(1)
    v.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 0.0, 0.0]


def test_inplace_gradcheck(rng):
    def fn(v):
        y = v * 1
        y[1:, ::2] = v[1:, ::2].sin()
        y.t()[0].mul_(v[0, 0])
        return y

    x = tritorch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(fn, (x,))


def test_inplace_dtype_and_shape_rules():
    i = tritorch.ones(2, dtype=tritorch.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.mul_(1.5)
    f = tritorch.ones(2, 3)
    with pytest.raises(RuntimeError, match="output with shape \\[2, 3\\] doesn't match the broadcast shape"):
        f.add_(tritorch.ones(4, 2, 3))
    f.add_(tritorch.ones(3))
    assert f.tolist() == [[2.0] * 3] * 2
    f.copy_(tritorch.tensor([1, 2, 3]))
    assert f.tolist() == [[1.0, 2.0, 3.0]] * 2 and f.dtype is tritorch.float32


def test_copy_into_a_tensor_with_history_takes_the_sources_gradient():
    a = tritorch.ones(3, requires_grad=True)
    b = tritorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = a * 2
    y.copy_(b * b)
    y.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0] and b.grad.tolist() == [2.0, 4.0, 6.0]
