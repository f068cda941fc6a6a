"""Activation modules and dropout against numpy formulas; gradients; reprs."""
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


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(np.minimum(beta * x, threshold))) / beta)


CASES = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.ReLU6(), lambda x: np.clip(x, 0, 6)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * (np.exp(np.minimum(x, 0)) - 1))),
    (nn.GELU(), lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2)))),
    (nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (nn.Mish(), lambda x: x * np.tanh(_softplus(x))),
    (nn.Softplus(2.0, 3.0), lambda x: _softplus(x, 2.0, 3.0)),
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Hardtanh(-0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0)),
    (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(dim=-1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
    (nn.LogSigmoid(), lambda x: -_softplus(-x)),
    (nn.SELU(), lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(np.minimum(x, 0)) - 1))),
]


@pytest.mark.parametrize("module,ref", CASES, ids=[type(m).__name__ + str(i) for i, (m, _) in enumerate(CASES)])
def test_activation_matches_numpy_and_gradcheck(module, ref):
    tritorch.manual_seed(0)
    x = (tritorch.randn(3, 4, dtype=tritorch.float64) * 3).requires_grad_()
    np.testing.assert_allclose(_np(module(x)), ref(_np(x)), rtol=1e-9, atol=1e-12)
    assert gradcheck(module, (x,))


def test_activations_do_not_overflow():
    x = tritorch.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], requires_grad=True)
    for fn in (F.softplus, F.elu, F.mish, F.silu, F.logsigmoid, F.gelu, F.sigmoid):
        y = fn(x)
        y.sum().backward()
        assert bool(y.isfinite().all()) and bool(x.grad.isfinite().all()), fn.__name__
        x.grad = None


def test_inplace_variants_write_into_the_input():
    x = tritorch.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x and x.tolist() == [0.0, 2.0]
    y = tritorch.tensor([-1.0, 2.0])
    F.leaky_relu(y, 0.5, inplace=True)
    assert y.tolist() == [-0.5, 2.0]


def test_activation_reprs_are_pytorchs():
    assert repr(nn.ReLU()) == "ReLU()" and repr(nn.ReLU(True)) == "ReLU(inplace=True)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.ELU(inplace=True)) == "ELU(alpha=1.0, inplace=True)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.Softmax(dim=-1)) == "Softmax(dim=-1)" and repr(nn.Sigmoid()) == "Sigmoid()"
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(tritorch.ones(1), approximate="fast")


def test_dropout_statistics_scaling_and_modes():
    tritorch.manual_seed(0)
    x = tritorch.ones(200, 100)
    d = nn.Dropout(0.3)
    y = _np(d(x))
    zero = (y == 0).mean()
    assert abs(zero - 0.3) < 0.02
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    tritorch.manual_seed(0)
    np.testing.assert_array_equal(_np(d(x)), y)  # reproducible under manual_seed
    assert d.eval()(x) is x
    assert float(F.dropout(x, 1.0).abs().sum()) == 0
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"


def test_dropout_gradient_uses_the_same_mask():
    tritorch.manual_seed(3)
    x = tritorch.ones(50, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), _np(y))


def test_dropout2d_zeroes_whole_channels():
    tritorch.manual_seed(1)
    y = _np(nn.Dropout2d(0.5)(tritorch.ones(8, 16, 3, 3)))
    per_channel = y.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
