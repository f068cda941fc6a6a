"""Conv1d, Conv2d, ConvTranspose2d against loop-over-taps numpy references, gradcheck, errors."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F
from tritorch.autograd import gradcheck
from tritorch.autograd.gradcheck import gradgradcheck


def _np(t):
    return t.detach().numpy()


def conv2d_ref(x, w, b, stride, pad, dilation, groups):
    """Direct definition: y[n, o, i, j] = sum_{c, p, q} xpad[n, c, i s + p d, j s + q d] w[o, c, p, q]."""
    (sh, sw), (dh, dw) = stride, dilation
    xp = np.pad(x, ((0, 0), (0, 0), pad[0], pad[1]))
    n, c, h, wd = xp.shape
    o, cg, kh, kw = w.shape
    ho, wo = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        for oo in range(g * og, (g + 1) * og):
            for p in range(kh):
                for q in range(kw):
                    patch = xs[:, :, p * dh:p * dh + sh * (ho - 1) + 1:sh, q * dw:q * dw + sw * (wo - 1) + 1:sw]
                    y[:, oo] += np.einsum("nchw,c->nhw", patch, w[oo, :, p, q])
    return y if b is None else y + b[None, :, None, None]


def conv_transpose2d_ref(x, w, stride, pad, out_pad, dilation, groups):
    """Scatter definition: each input pixel adds x * w into the output window it maps to."""
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    (s0, s1), (d0, d1) = stride, dilation
    H = (h - 1) * s0 + d0 * (kh - 1) + 1 + out_pad[0]
    W = (wd - 1) * s1 + d1 * (kw - 1) + 1 + out_pad[1]
    y = np.zeros((n, og * groups, H, W))
    cg = cin // groups
    for ci in range(cin):
        g = ci // cg
        for i in range(h):
            for j in range(wd):
                for p in range(kh):
                    for q in range(kw):
                        y[:, g * og:(g + 1) * og, i * s0 + p * d0, j * s1 + q * d1] += x[:, ci, i, j, None] * w[ci, :, p, q]
    return y[:, :, pad[0]:H - pad[0], pad[1]:W - pad[1]]


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 0, 1, 1), (2, 1, 1, 1), ((2, 1), (1, 2), (1, 2), 2), (1, "same", 2, 1), (1, "valid", 1, 2), (3, 2, 1, 2)])
def test_conv2d_matches_reference(stride, padding, dilation, groups):
    tritorch.manual_seed(0)
    m = nn.Conv2d(4, 6, (3, 2), stride=stride, padding=padding, dilation=dilation, groups=groups).double()
    x = tritorch.randn(2, 4, 7, 6, dtype=tritorch.float64)
    st, dl = F.conv._pair(stride), F.conv._pair(dilation)
    pads = F.conv._padding(padding, (3, 2), dl, st)
    want = conv2d_ref(_np(x), _np(m.weight), _np(m.bias), st, pads, dl, groups)
    got = m(x)
    assert got.shape == want.shape
    np.testing.assert_allclose(_np(got), want, rtol=1e-10, atol=1e-12)
    if padding == "same":
        assert got.shape[2:] == x.shape[2:]


def test_conv2d_gradcheck_and_second_order():
    tritorch.manual_seed(1)
    x = tritorch.randn(2, 4, 5, 5, dtype=tritorch.float64, requires_grad=True)
    w = tritorch.randn(4, 2, 3, 2, dtype=tritorch.float64, requires_grad=True)
    b = tritorch.randn(4, dtype=tritorch.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=(1, 2), groups=2), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, stride=(1, 2), padding=1, groups=2), (x, w))


def test_conv2d_padding_modes_equal_explicit_pad():
    tritorch.manual_seed(2)
    x = tritorch.randn(1, 2, 5, 6)
    for mode, np_mode in [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")]:
        m = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
        xp = np.pad(_np(x), ((0, 0), (0, 0), (1, 1), (2, 2)), mode=np_mode)
        want = conv2d_ref(xp, _np(m.weight), _np(m.bias), (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
        np.testing.assert_allclose(_np(m(x)), want, rtol=1e-5, atol=1e-5)


def test_conv1d_matches_reference_and_gradcheck():
    tritorch.manual_seed(3)
    m = nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=1).double()
    x = tritorch.randn(2, 3, 9, dtype=tritorch.float64, requires_grad=True)
    want = conv2d_ref(_np(x)[:, :, None], _np(m.weight)[:, :, None], _np(m.bias), (1, 2), ((0, 0), (1, 1)), (1, 1), 1)
    np.testing.assert_allclose(_np(m(x)), want[:, :, 0], rtol=1e-10)
    assert m(x[0]).shape == (4, 5)  # unbatched
    assert gradcheck(lambda x: F.conv1d(x, m.weight, m.bias, padding="same", dilation=2), (x,))


@pytest.mark.parametrize("stride,padding,output_padding,groups,dilation", [
    (1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (2, 0, 0, 2, 2), ((3, 2), (1, 0), (2, 1), 1, 1)])
def test_conv_transpose2d_matches_reference(stride, padding, output_padding, groups, dilation):
    tritorch.manual_seed(4)
    m = nn.ConvTranspose2d(4, 6, 3, stride, padding, output_padding, groups, dilation=dilation).double()
    x = tritorch.randn(2, 4, 4, 3, dtype=tritorch.float64)
    p2 = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
    want = conv_transpose2d_ref(_np(x), _np(m.weight), p2(stride), p2(padding), p2(output_padding), p2(dilation),
                                groups) + _np(m.bias)[None, :, None, None]
    np.testing.assert_allclose(_np(m(x)), want, rtol=1e-10, atol=1e-12)


def test_conv_transpose2d_gradcheck_and_output_size():
    tritorch.manual_seed(5)
    x = tritorch.randn(1, 2, 3, 3, dtype=tritorch.float64, requires_grad=True)
    w = tritorch.randn(2, 3, 3, 3, dtype=tritorch.float64, requires_grad=True)
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1), (x, w))
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    assert m(x.float().detach(), output_size=(6, 6)).shape == (1, 3, 6, 6)
    assert m(x.float().detach()).shape == (1, 3, 5, 5)


def test_conv_errors_name_shapes():
    m = nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[8, 3, 3, 3\], expected input\[2, 4, 5, 5\] "
                                           r"to have 3 channels, but got 4 channels instead"):
        m(tritorch.randn(2, 4, 5, 5))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got "
                                           r"input of size: \[2, 3\]"):
        m(tritorch.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"Kernel size can't be greater than actual input size"):
        m(tritorch.randn(1, 3, 2, 2))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")


def test_conv_reprs_are_pytorchs():
    assert repr(nn.Conv2d(3, 8, 3)) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(4, 8, (3, 5), stride=2, padding=1, dilation=2, groups=2, bias=False,
                          padding_mode="reflect")) == (
        "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), groups=2, bias=False, "
        "padding_mode=reflect)")
    assert repr(nn.Conv1d(2, 4, 3, padding="same")) == "Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=same)"
    assert repr(nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)) == \
        "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"
