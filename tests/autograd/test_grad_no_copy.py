"""A leaf's first gradient is used without a copy only when no one else can reach its memory: the
caller's gradient tensors, what a hook saw, what a user Function returned, and a gradient shared by
two leaves all stay separate from .grad (a later in-place update of .grad must change nothing else)."""
import numpy as np
import pytest

import tritorch as torch
from tritorch.autograd import Function


def _separate(a, b):
    return not np.shares_memory(a._data, b._data)


def test_gradients_are_right_and_accumulate_over_two_passes():
    lin = torch.nn.Linear(5, 3)
    x = torch.randn(4, 5)
    lin(x).sum().backward()
    first = lin.weight.grad.clone()
    np.testing.assert_allclose(first.numpy(), np.tile(x.numpy().sum(0), (3, 1)), rtol=1e-6)
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * first.numpy(), rtol=1e-6)


def test_the_callers_gradient_is_never_the_leafs_grad():
    x = torch.randn(3, requires_grad=True)
    given = torch.ones(3)
    (x.clone()).backward(given)  # clone's backward passes the caller's tensor through unchanged
    assert _separate(x.grad, given)
    x.grad.mul_(5)
    assert given.tolist() == [1.0, 1.0, 1.0]
    y = torch.randn(3, requires_grad=True)
    y.backward(given)  # a leaf's own backward: the caller's tensor arrives at once
    assert _separate(y.grad, given)


def test_one_gradient_reaching_two_leaves_gives_two_buffers():
    a, b = torch.randn(4, requires_grad=True), torch.randn(4, requires_grad=True)
    ((a + b) * 2).backward(torch.ones(4))  # add's backward hands the same fresh tensor to a and b
    assert _separate(a.grad, b.grad)
    a.grad.zero_()
    assert b.grad.tolist() == [2.0] * 4


def test_a_gradient_a_hook_has_seen_is_copied():
    a = torch.randn(4, requires_grad=True)
    seen = []
    h = a.clone()
    h.register_hook(seen.append)
    (h * 3).backward(torch.ones(4))
    assert _separate(a.grad, seen[0])
    a.grad.zero_()
    assert seen[0].tolist() == [3.0] * 4


def test_a_tensor_a_user_function_returns_is_copied():
    held = torch.full((3,), 7.0)

    class HandsBack(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return held  # a tensor its caller keeps

    x = torch.randn(3, requires_grad=True)
    HandsBack.apply(x).sum().backward()
    assert _separate(x.grad, held)
    x.grad.zero_()
    assert held.tolist() == [7.0] * 3


@pytest.mark.parametrize("create_graph", [False, True])
def test_second_order_gradients_unchanged(create_graph):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=create_graph)
    assert x.grad.tolist() == [3.0, 12.0]
