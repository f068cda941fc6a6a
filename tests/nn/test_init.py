"""nn.init: PyTorch's gains, fans and distributions (statistics within tolerance), seeding, errors;
default initialisation of the layers."""
import math

import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
from tritorch.nn import init


def _np(t):
    return t.detach().numpy().astype(np.float64)


def test_calculate_gain_values():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans_of_linear_and_conv_weights():
    assert init._calculate_fan_in_and_fan_out(tritorch.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(tritorch.empty(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tritorch.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(tritorch.empty(3, 3), mode="fan_avg")


@pytest.mark.parametrize("fn,kwargs,bound,std", [
    (init.xavier_uniform_, {"gain": 2.0}, 2.0 * math.sqrt(6 / (200 + 300)), None),
    (init.xavier_normal_, {}, None, math.sqrt(2 / (200 + 300))),
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, math.sqrt(6 / 6 / 200), None),
    (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(6 / 300), None),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, None, math.sqrt(2 / 200)),
    (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "tanh"}, None, 5 / 3 / math.sqrt(300)),
])
def test_init_statistics_follow_pytorchs_formulas(fn, kwargs, bound, std):
    tritorch.manual_seed(0)
    w = fn(tritorch.empty(300, 200), **kwargs)
    v = _np(w)
    assert abs(v.mean()) < 0.01 * (bound or std) * 5
    if bound is not None:  # uniform: within +-bound, std bound / sqrt(3)
        assert v.max() <= bound and v.min() >= -bound and v.max() > 0.99 * bound
        assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    else:
        assert v.std() == pytest.approx(std, rel=0.02)


def test_uniform_normal_trunc_normal_and_constants():
    tritorch.manual_seed(1)
    u = _np(init.uniform_(tritorch.empty(20000), -2.0, 3.0))
    assert u.min() >= -2 and u.max() <= 3 and u.mean() == pytest.approx(0.5, abs=0.05)
    n = _np(init.normal_(tritorch.empty(20000), 1.0, 0.5))
    assert n.mean() == pytest.approx(1.0, abs=0.02) and n.std() == pytest.approx(0.5, rel=0.03)
    t = _np(init.trunc_normal_(tritorch.empty(20000), mean=0.0, std=1.0, a=-1.0, b=2.0))
    assert t.min() >= -1 and t.max() <= 2
    # mean of N(0, 1) truncated to [-1, 2]: (phi(-1) - phi(2)) / (Phi(2) - Phi(-1))
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    assert t.mean() == pytest.approx((phi(-1) - phi(2)) / (Phi(2) - Phi(-1)), abs=0.02)
    assert _np(init.constant_(tritorch.empty(3), 0.25)).tolist() == [0.25] * 3
    assert _np(init.ones_(tritorch.empty(2))).tolist() == [1, 1] and _np(init.zeros_(tritorch.ones(2))).tolist() == [0, 0]
    np.testing.assert_array_equal(_np(init.eye_(tritorch.empty(2, 3))), np.eye(2, 3))
    d = _np(init.dirac_(tritorch.empty(2, 2, 3, 3)))
    assert d[0, 0, 1, 1] == 1 and d[1, 1, 1, 1] == 1 and d.sum() == 2


def test_orthogonal_gives_orthonormal_rows_or_columns():
    tritorch.manual_seed(2)
    w = _np(init.orthogonal_(tritorch.empty(3, 5), gain=2.0))
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(3), atol=1e-5)
    w = _np(init.orthogonal_(tritorch.empty(6, 2, 2)).reshape(6, 4))
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-5)


def test_init_is_seeded_and_accepts_a_generator():
    tritorch.manual_seed(7)
    a = nn.Linear(4, 3)
    tritorch.manual_seed(7)
    b = nn.Linear(4, 3)
    np.testing.assert_array_equal(_np(a.weight), _np(b.weight))
    g1, g2 = tritorch.Generator().manual_seed(3), tritorch.Generator().manual_seed(3)
    np.testing.assert_array_equal(_np(init.kaiming_uniform_(tritorch.empty(3, 3), generator=g1)),
                                  _np(init.kaiming_uniform_(tritorch.empty(3, 3), generator=g2)))


def test_init_does_not_record_autograd_history():
    p = nn.Parameter(tritorch.empty(3, 3))
    init.xavier_uniform_(p)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None


@pytest.mark.parametrize("make,fan_in", [(lambda: nn.Linear(50, 40), 50), (lambda: nn.Conv2d(6, 30, 3), 54),
                                         (lambda: nn.Conv1d(4, 40, 5, groups=2), 10),
                                         (lambda: nn.ConvTranspose2d(20, 6, 3), 54)])
def test_default_layer_init_is_pytorchs(make, fan_in):
    tritorch.manual_seed(0)
    m = make()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives exactly 1/sqrt(fan_in)
    w, b = _np(m.weight), _np(m.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    assert np.abs(b).max() <= bound


def test_default_init_of_norms_and_embedding():
    tritorch.manual_seed(0)
    ln, bn = nn.LayerNorm(4), nn.BatchNorm2d(3)
    assert _np(ln.weight).tolist() == [1] * 4 and _np(ln.bias).tolist() == [0] * 4
    assert _np(bn.running_var).tolist() == [1] * 3 and _np(bn.running_mean).tolist() == [0] * 3
    e = nn.Embedding(2000, 8, padding_idx=3)
    w = _np(e.weight)
    assert (w[3] == 0).all() and w.std() == pytest.approx(1.0, rel=0.03)
