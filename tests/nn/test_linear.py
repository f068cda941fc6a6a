"""Linear (the fused linear primitive), Bilinear, Identity, Flatten, Unflatten."""
import math

import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F
from tritorch.autograd import gradcheck

from ._helpers import erf


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5)])
def test_linear_matches_numpy(shape):
    tritorch.manual_seed(0)
    m = nn.Linear(5, 3)
    x = tritorch.randn(*shape)
    want = _np(x) @ _np(m.weight).T + _np(m.bias)
    np.testing.assert_allclose(_np(m(x)), want, rtol=1e-5, atol=1e-6)
    assert nn.Linear(5, 3, bias=False).bias is None


_ACTS = {"none": lambda z: z, "relu": lambda z: np.maximum(z, 0), "gelu": lambda z: 0.5 * z * (1 + erf(z / math.sqrt(2))),
         "gelu_tanh": lambda z: 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3))),
         "silu": lambda z: z / (1 + np.exp(-z))}


@pytest.mark.parametrize("activation", list(_ACTS))
def test_fused_linear_activation_forward_and_grad(activation):
    tritorch.manual_seed(1)
    x = tritorch.randn(2, 3, 4, dtype=tritorch.float64, requires_grad=True)
    w = tritorch.randn(5, 4, dtype=tritorch.float64, requires_grad=True)
    b = tritorch.randn(5, dtype=tritorch.float64, requires_grad=True)
    y = F.linear(x, w, b, activation=activation)
    np.testing.assert_allclose(_np(y), _ACTS[activation](_np(x) @ _np(w).T + _np(b)), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b, activation=activation), (x, w, b))


def test_linear_gradcheck_1d_input_and_no_bias():
    x = tritorch.randn(4, dtype=tritorch.float64, requires_grad=True)
    w = tritorch.randn(3, 4, dtype=tritorch.float64, requires_grad=True)
    assert gradcheck(lambda x, w: F.linear(x, w), (x, w))


def test_linear_bad_input_raises_pytorchs_errors():
    m = nn.Linear(5, 2)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 5x2\)"):
        m(tritorch.randn(4, 3))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(6x3 and 5x2\)"):
        m(tritorch.randn(2, 3, 3))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        m(tritorch.randn(4, 5, dtype=tritorch.float64))


def test_linear_float16_computes_in_float32():
    m = nn.Linear(8, 4).half()
    x = tritorch.randn(3, 8).half()
    y = m(x)
    assert y.dtype is tritorch.float16
    want = _np(x).astype(np.float32) @ _np(m.weight).astype(np.float32).T + _np(m.bias).astype(np.float32)
    np.testing.assert_allclose(_np(y).astype(np.float32), want, rtol=2e-3, atol=2e-3)


def test_bilinear_matches_numpy_and_gradcheck():
    tritorch.manual_seed(0)
    m = nn.Bilinear(3, 4, 2).double()
    x1 = tritorch.randn(5, 3, dtype=tritorch.float64, requires_grad=True)
    x2 = tritorch.randn(5, 4, dtype=tritorch.float64, requires_grad=True)
    want = np.einsum("ni,kij,nj->nk", _np(x1), _np(m.weight), _np(x2)) + _np(m.bias)
    np.testing.assert_allclose(_np(m(x1, x2)), want, rtol=1e-10)
    assert gradcheck(lambda a, b, w: F.bilinear(a, b, w, m.bias), (x1, x2, m.weight))
    assert repr(m) == "Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True)"


def test_identity_flatten_unflatten():
    x = tritorch.randn(2, 3, 4, 5)
    assert nn.Identity(7, foo=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 60) and nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Unflatten(1, (3, 1))(x).shape == (2, 3, 1, 4, 5)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 2))) == "Unflatten(dim=1, unflattened_size=(2, 2))"


def test_mlp_on_cuda_matches_cpu():
    """On the cuda device (emulated in CI) the fused primitives fall back to Tensor ops when the
    backend lacks them; values and gradients equal the CPU's."""
    tritorch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.LayerNorm(4), nn.Linear(4, 3), nn.RMSNorm(3))
    x, t = tritorch.randn(5, 3), tritorch.tensor([0, 2, 1, -100, 2])
    loss = F.cross_entropy(m(x), t, label_smoothing=0.1)
    loss.backward()
    grads = [_np(p.grad) for p in m.parameters()]
    m.zero_grad()
    m.to("cuda")
    assert m[0].weight.device.type == "cuda"
    loss_cuda = F.cross_entropy(m(x.to("cuda")), t.to("cuda"), label_smoothing=0.1)
    loss_cuda.backward()
    np.testing.assert_allclose(loss_cuda.item(), loss.item(), rtol=1e-5)
    for g, p in zip(grads, m.parameters()):
        np.testing.assert_allclose(p.grad.cpu().numpy(), g, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", [tritorch.float32, tritorch.float64, tritorch.float16])
@pytest.mark.parametrize("x_shape", [(5, 7), (2, 3, 7), (7,), (0, 7)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_fused_backward_equals_the_composed_graph(dtype, x_shape, with_bias):
    """The CPU's one-primitive backward (no create_graph) against the Tensor-op backward (create_graph)."""
    rng = np.random.default_rng(3)
    x0 = tritorch.tensor(rng.standard_normal(x_shape), dtype=dtype)
    w0 = tritorch.tensor(rng.standard_normal((4, 7)), dtype=dtype)
    b0 = tritorch.tensor(rng.standard_normal(4), dtype=dtype) if with_bias else None
    g = tritorch.tensor(rng.standard_normal(x_shape[:-1] + (4,)), dtype=dtype)
    results = []
    for create_graph in (False, True):
        leaves = [t.clone().requires_grad_() for t in (x0, w0, b0) if t is not None]
        y = F.linear(*leaves)
        grads = tritorch.autograd.grad([y], leaves, [g], create_graph=create_graph)
        results.append([(gr.dtype, tuple(gr.shape), gr.detach().to(tritorch.float64).numpy()) for gr in grads])
    tol = 5e-3 if dtype is tritorch.float16 else 1e-6
    for (d0, s0, a0), (d1, s1, a1) in zip(*results):
        assert d0 is d1 and s0 == s1
        np.testing.assert_allclose(a0, a1, rtol=tol, atol=tol)
