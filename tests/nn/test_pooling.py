"""Max/avg/adaptive pooling against loop-over-windows numpy references, gradcheck, reprs."""
import math

import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F
from tritorch.autograd import gradcheck
from tritorch.autograd.gradcheck import gradgradcheck


def _np(t):
    return t.detach().numpy()


def _out(size, k, s, p, d, ceil):
    eff = size + 2 * p - d * (k - 1) - 1
    o = (math.ceil(eff / s) if ceil else eff // s) + 1
    if ceil and (o - 1) * s >= size + p:
        o -= 1
    return o


def pool_ref(x, k, s, p, d=1, ceil=False, op="max", count_include_pad=True):
    """Loop over output pixels; windows clipped to the (padded) input as PyTorch defines them."""
    n, c, h, w = x.shape
    ho, wo = _out(h, k, s, p, d, ceil), _out(w, k, s, p, d, ceil)
    y = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            rows = [i * s - p + a * d for a in range(k)]
            cols = [j * s - p + b * d for b in range(k)]
            rin = [r for r in rows if 0 <= r < h]
            cin = [q for q in cols if 0 <= q < w]
            win = x[:, :, rin][:, :, :, cin]
            if op == "max":
                y[:, :, i, j] = win.max(axis=(2, 3))
            else:
                if count_include_pad:
                    rr = min(i * s - p + k, h + p) - (i * s - p)
                    cc = min(j * s - p + k, w + p) - (j * s - p)
                    div = rr * cc
                else:
                    div = len(rin) * len(cin)
                y[:, :, i, j] = win.sum(axis=(2, 3)) / div
    return y


@pytest.mark.parametrize("k,s,p,d,ceil", [(2, 2, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 1, True),
                                          (2, 1, 1, 2, False), (3, 3, 0, 1, True)])
def test_max_pool2d_matches_reference(k, s, p, d, ceil):
    tritorch.manual_seed(0)
    x = tritorch.randn(2, 3, 7, 8, dtype=tritorch.float64)
    got = F.max_pool2d(x, k, s, p, d, ceil_mode=ceil)
    np.testing.assert_array_equal(_np(got), pool_ref(_np(x), k, s, p, d, ceil))


def test_max_pool2d_indices_and_gradients():
    tritorch.manual_seed(1)
    x = tritorch.randn(1, 2, 5, 5, dtype=tritorch.float64, requires_grad=True)
    values, idx = nn.MaxPool2d(2, return_indices=True)(x)
    flat = _np(x).reshape(1, 2, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, _np(idx).reshape(1, 2, -1), 2).reshape(values.shape),
                                  _np(values))
    assert idx.dtype is tritorch.int64
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (x,))
    assert gradgradcheck(lambda x: F.max_pool2d(x, 2), (x,))
    x.grad = None
    F.max_pool2d(x, 2).sum().backward()
    assert float(x.grad.sum()) == 8.0  # one unit of gradient per window, at its maximum


def test_max_pool1d_and_unbatched():
    x = tritorch.randn(2, 3, 9)
    want = pool_ref(_np(x)[:, :, None], 1, 1, 0)[:, :, 0]  # identity pooling sanity
    np.testing.assert_array_equal(want, _np(x))
    got = nn.MaxPool1d(3, stride=2, padding=1)(x)
    want = np.stack([_np(x)[..., max(i * 2 - 1, 0):i * 2 + 2].max(-1) for i in range(5)], -1)
    np.testing.assert_array_equal(_np(got), want)
    assert nn.MaxPool2d(2)(tritorch.randn(3, 4, 4)).shape == (3, 2, 2)


@pytest.mark.parametrize("k,s,p,ceil,cip", [(2, 2, 0, False, True), (3, 2, 1, False, True), (3, 2, 1, False, False),
                                            (3, 2, 1, True, True), (3, 2, 1, True, False)])
def test_avg_pool2d_matches_reference(k, s, p, ceil, cip):
    tritorch.manual_seed(2)
    x = tritorch.randn(2, 2, 7, 6, dtype=tritorch.float64)
    got = F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=cip)
    np.testing.assert_allclose(_np(got), pool_ref(_np(x), k, s, p, 1, ceil, "avg", cip), rtol=1e-12)


def test_avg_pool_gradients_and_divisor_override():
    tritorch.manual_seed(3)
    x = tritorch.randn(1, 2, 5, 4, dtype=tritorch.float64, requires_grad=True)
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert gradgradcheck(lambda x: F.avg_pool2d(x, 2, 1, 1), (x,))
    got = F.avg_pool2d(x, 2, divisor_override=1)
    np.testing.assert_allclose(_np(got), pool_ref(_np(x), 2, 2, 0, op="avg") * 4, rtol=1e-12)
    y = nn.AvgPool1d(2)(tritorch.arange(6.0).reshape(1, 1, 6))
    assert y.tolist() == [[[0.5, 2.5, 4.5]]]


@pytest.mark.parametrize("out", [(1, 1), (3, 2), (4, 5), 2, (None, 3)])
def test_adaptive_avg_pool2d_matches_reference(out):
    tritorch.manual_seed(4)
    x = tritorch.randn(1, 2, 7, 5, dtype=tritorch.float64, requires_grad=True)
    oh, ow = out if isinstance(out, tuple) else (out, out)
    oh, ow = oh or 7, ow or 5
    xn = _np(x)
    want = np.zeros((1, 2, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = (i * 7) // oh, -(-((i + 1) * 7) // oh)
            c0, c1 = (j * 5) // ow, -(-((j + 1) * 5) // ow)
            want[:, :, i, j] = xn[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    np.testing.assert_allclose(_np(nn.AdaptiveAvgPool2d(out)(x)), want, rtol=1e-12)
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, out), (x,))


def test_pooling_errors_and_reprs():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size, but got pad=2, "
                                           "kernel_size=3 and dilation=1"):
        F.max_pool2d(tritorch.randn(1, 1, 5, 5), 3, padding=2)
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
