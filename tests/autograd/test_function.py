"""Custom autograd Functions: ctx.save_for_backward, needs_input_grad, mark_non_differentiable, apply."""
import pytest

import tritorch
from tritorch.autograd import Function, gradcheck


class ScaledSquare(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * k

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * k_of(ctx) * x * g, None


def k_of(ctx):
    return ctx.k


def test_forward_backward_and_name(rng):
    x = tritorch.tensor([1.0, 2.0], requires_grad=True)
    y = ScaledSquare.apply(x, 3.0)
    assert y.tolist() == [3.0, 12.0] and y.requires_grad
    assert y.grad_fn.name() == "ScaledSquareBackward" and "ScaledSquareBackward" in repr(y)
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]
    v = tritorch.tensor(rng.standard_normal(3), requires_grad=True)
    assert gradcheck(lambda t: ScaledSquare.apply(t, 0.5), (v,))


def test_forward_runs_without_grad_and_untracked_inputs_skip_the_graph():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(tritorch.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Probe.apply(tritorch.ones(2))
    assert seen == [False] and not y.requires_grad and y.grad_fn is None
    with tritorch.no_grad():
        assert Probe.apply(tritorch.ones(2, requires_grad=True)).grad_fn is None


def test_needs_input_grad():
    record = []

    class Add(Function):
        @staticmethod
        def forward(ctx, a, b, scale):
            return a + b * scale

        @staticmethod
        def backward(ctx, g):
            record.append(ctx.needs_input_grad)
            return (g if ctx.needs_input_grad[0] else None, g * 2 if ctx.needs_input_grad[1] else None, None)

    a, b = tritorch.ones(2, requires_grad=True), tritorch.ones(2)
    Add.apply(a, b, 2).sum().backward()
    assert record == [(True, False, False)] and a.grad.tolist() == [1.0, 1.0]


def test_mark_non_differentiable_and_multiple_outputs():
    class SortLike(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argsort()
            out = x.gather(0, idx)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return out, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            idx, = ctx.saved_tensors
            return tritorch.zeros_like(g).scatter(0, idx, g)

    x = tritorch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    out, idx = SortLike.apply(x)
    assert out.requires_grad and not idx.requires_grad and out.tolist() == [1.0, 2.0, 3.0]
    (out * tritorch.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_saved_tensor_modified_in_place_raises():
    x = tritorch.ones(2, requires_grad=True)
    h = x * 1
    y = ScaledSquare.apply(h, 1.0)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_saved_tensors_freed_after_backward():
    x = tritorch.ones(2, requires_grad=True)
    y = ScaledSquare.apply(x, 2.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_custom_function_second_order():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * x * g  # Tensor ops: differentiable again with create_graph

    x = tritorch.tensor(2.0, requires_grad=True)
    g1, = tritorch.autograd.grad(Cube.apply(x), x, create_graph=True)
    g2, = tritorch.autograd.grad(g1, x)
    assert g1.item() == 12.0 and g2.item() == 12.0
