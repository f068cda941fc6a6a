"""LayerNorm, RMSNorm, GroupNorm, BatchNorm1d/2d against numpy formulas; gradients; running stats."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F
from tritorch.autograd import gradcheck
from tritorch.autograd.gradcheck import gradgradcheck


def _np(t):
    return t.detach().numpy()


def _affine(m):
    """Non-trivial weight/bias so that the affine part is exercised."""
    with tritorch.no_grad():
        for p in m.parameters():
            p.copy_(tritorch.randn(p.shape, dtype=p.dtype))
    return m


@pytest.mark.parametrize("shape,normalized", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((3, 1), 1)])
def test_layer_norm_matches_numpy(shape, normalized):
    tritorch.manual_seed(0)
    m = _affine(nn.LayerNorm(normalized).double())
    x = tritorch.randn(*shape, dtype=tritorch.float64)
    k = 1 if isinstance(normalized, int) else len(normalized)
    axes = tuple(range(len(shape) - k, len(shape)))
    xn = _np(x)
    want = (xn - xn.mean(axes, keepdims=True)) / np.sqrt(xn.var(axes, keepdims=True) + 1e-5)
    want = want * _np(m.weight) + _np(m.bias)
    np.testing.assert_allclose(_np(m(x)), want, rtol=1e-10, atol=1e-12)


def test_layer_norm_gradients_first_and_second_order():
    tritorch.manual_seed(1)
    x = tritorch.randn(3, 2, 4, dtype=tritorch.float64, requires_grad=True)
    w = tritorch.randn(2, 4, dtype=tritorch.float64, requires_grad=True)
    b = tritorch.randn(2, 4, dtype=tritorch.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b, eps=1e-3), (x, w, b))
    assert gradcheck(lambda x: F.layer_norm(x, (4,)), (x,))
    assert gradgradcheck(lambda x, w: F.layer_norm(x, (4,), w[0]), (x, w))


def test_layer_norm_low_precision_and_errors():
    x = tritorch.randn(4, 8)
    ln = nn.LayerNorm(8)
    y16 = ln.half()(x.half())
    assert y16.dtype is tritorch.float16
    np.testing.assert_allclose(_np(y16).astype(np.float32), _np(ln.float()(x)), atol=1e-2)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[8\], expected input with shape \[\*, 8\], but got "
                                           r"input of size\[4, 7\]"):
        ln(tritorch.randn(4, 7))
    assert repr(ln) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert nn.LayerNorm(8, bias=False).bias is None
    assert list(nn.LayerNorm(8, elementwise_affine=False).parameters()) == []


def test_rms_norm_matches_numpy_and_gradcheck():
    tritorch.manual_seed(2)
    m = _affine(nn.RMSNorm(5, eps=1e-6).double())
    x = tritorch.randn(3, 5, dtype=tritorch.float64, requires_grad=True)
    xn = _np(x)
    want = xn / np.sqrt((xn ** 2).mean(-1, keepdims=True) + 1e-6) * _np(m.weight)
    np.testing.assert_allclose(_np(m(x)), want, rtol=1e-10)
    assert gradcheck(lambda x, w: F.rms_norm(x, (5,), w), (x, m.weight))
    eps = np.finfo(np.float32).eps  # eps=None: the dtype's machine epsilon
    x32 = tritorch.randn(2, 5) * 1e-4
    want = _np(x32) / np.sqrt((_np(x32) ** 2).mean(-1, keepdims=True) + eps)
    np.testing.assert_allclose(_np(nn.RMSNorm(5)(x32)), want, rtol=1e-5)
    assert repr(nn.RMSNorm(5)) == "RMSNorm((5,), eps=None, elementwise_affine=True)"


def test_group_norm_matches_numpy_and_gradcheck():
    tritorch.manual_seed(3)
    m = _affine(nn.GroupNorm(2, 4).double())
    x = tritorch.randn(2, 4, 3, 2, dtype=tritorch.float64, requires_grad=True)
    xg = _np(x).reshape(2, 2, -1)
    want = ((xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + 1e-5)).reshape(2, 4, 3, 2)
    want = want * _np(m.weight)[None, :, None, None] + _np(m.bias)[None, :, None, None]
    np.testing.assert_allclose(_np(m(x)), want, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, m.weight, m.bias))
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                       (nn.BatchNorm2d, (4, 3, 2, 5))])
def test_batch_norm_training_eval_and_running_stats(cls, shape):
    tritorch.manual_seed(4)
    m = _affine(cls(3, momentum=0.2).double())
    x = tritorch.randn(*shape, dtype=tritorch.float64) * 2 + 1
    xn = _np(x)
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    mean, var = xn.mean(axes), xn.var(axes)
    n = xn.size // 3
    y = m(x)
    want = (xn - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-5) * _np(m.weight).reshape(bshape) \
        + _np(m.bias).reshape(bshape)
    np.testing.assert_allclose(_np(y), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(m.running_mean), 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(_np(m.running_var), 0.8 + 0.2 * var * n / (n - 1), rtol=1e-12)  # unbiased
    assert int(m.num_batches_tracked) == 1
    m.eval()
    want = (xn - _np(m.running_mean).reshape(bshape)) / np.sqrt(_np(m.running_var).reshape(bshape) + 1e-5) \
        * _np(m.weight).reshape(bshape) + _np(m.bias).reshape(bshape)
    np.testing.assert_allclose(_np(m(x)), want, rtol=1e-10, atol=1e-12)
    assert int(m.num_batches_tracked) == 1  # eval does not count


def test_batch_norm_gradcheck_momentum_none_and_no_tracking():
    tritorch.manual_seed(5)
    x = tritorch.randn(5, 2, 3, dtype=tritorch.float64, requires_grad=True)
    w = tritorch.randn(2, dtype=tritorch.float64, requires_grad=True)
    b = tritorch.randn(2, dtype=tritorch.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    m = nn.BatchNorm1d(2, momentum=None).double()
    a, c = tritorch.randn(6, 2, dtype=tritorch.float64), tritorch.randn(6, 2, dtype=tritorch.float64)
    m(a), m(c)
    want = (_np(a).mean(0) + _np(c).mean(0)) / 2  # cumulative moving average
    np.testing.assert_allclose(_np(m.running_mean), want, rtol=1e-12)
    free = nn.BatchNorm1d(2, track_running_stats=False)
    assert free.running_mean is None and list(free.state_dict()) == ["weight", "bias"]
    free.eval()
    y = free(a.float())
    np.testing.assert_allclose(_np(y).mean(0), 0, atol=1e-5)  # batch statistics even in eval


def test_batch_norm_errors_and_repr():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(tritorch.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(tritorch.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(tritorch.randn(1, 3))
    assert repr(nn.BatchNorm1d(4)) == "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


def test_batchnorm_bias_false_has_weight_only():
    bn = nn.BatchNorm2d(3, bias=False)
    assert bn.bias is None and bn.weight is not None
    assert list(bn.state_dict()) == ["weight", "running_mean", "running_var", "num_batches_tracked"]
    assert "bias=False" in repr(bn)


def test_norm_reprs_report_bias_as_pytorch_2_13_does():
    assert repr(nn.LayerNorm(4, elementwise_affine=False)) == \
        "LayerNorm((4,), eps=1e-05, elementwise_affine=False, bias=False)"
    assert repr(nn.GroupNorm(2, 4, bias=False)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=False)"
    assert nn.GroupNorm(2, 4, bias=False).bias is None
    assert repr(nn.BatchNorm1d(3, affine=False)) == \
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True)"
