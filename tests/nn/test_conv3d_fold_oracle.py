"""Oracle: Conv3d (one conv2d per depth tap), F.unfold / F.fold and nn.Unfold / nn.Fold against PyTorch."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F

torch = pytest.importorskip("torch")


def _close(a, b, tol=1e-4):
    np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


_GEOMETRIES = [dict(), dict(stride=2, padding=1), dict(padding=(1, 0, 2), dilation=(2, 1, 1)), dict(groups=2, bias=False),
               dict(padding="same"), dict(padding=1, padding_mode="reflect")]


@pytest.mark.parametrize("kw,device", [(k, "cpu") for k in _GEOMETRIES] + [(k, "cuda") for k in _GEOMETRIES[:2]])
def test_conv3d(kw, device, rng):
    ours, theirs = nn.Conv3d(4, 6, 3, **kw).to(device), torch.nn.Conv3d(4, 6, 3, **kw)
    assert repr(ours) == repr(theirs)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.detach().cpu().numpy()))
        if theirs.bias is not None:
            theirs.bias.copy_(torch.tensor(ours.bias.detach().cpu().numpy()))
    a = rng.standard_normal((2, 4, 5, 6, 5)).astype(np.float32)
    x, y = tritorch.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, out_t = ours(x), theirs(y)
    _close(out, out_t)
    g = rng.standard_normal(out_t.shape).astype(np.float32)
    out.backward(tritorch.tensor(g, device=device))
    out_t.backward(torch.tensor(g))
    _close(x.grad, y.grad)
    _close(ours.weight.grad, theirs.weight.grad, 1e-3)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=(2, 1), padding=1),
                                dict(kernel_size=3, dilation=2, padding=(0, 2))])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_unfold_fold(kw, device, rng):
    a = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    x, y = tritorch.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    cols, cols_t = F.unfold(x, **kw), torch.nn.functional.unfold(y, **kw)
    _close(cols, cols_t)
    back, back_t = F.fold(cols, (7, 6), **kw), torch.nn.functional.fold(cols_t, (7, 6), **kw)
    _close(back, back_t)
    g = rng.standard_normal(back_t.shape).astype(np.float32)
    back.backward(tritorch.tensor(g, device=device))
    back_t.backward(torch.tensor(g))
    _close(x.grad, y.grad)
    assert repr(nn.Unfold(**kw)) == repr(torch.nn.Unfold(**kw))
    assert repr(nn.Fold((7, 6), **kw)) == repr(torch.nn.Fold((7, 6), **kw))
    _close(nn.Unfold(**kw)(x[0]), torch.nn.Unfold(**kw)(y[0]))


def test_fold_errors():
    with pytest.raises(RuntimeError) as ours:
        F.fold(tritorch.zeros(1, 12, 5), (4, 4), 2)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.fold(torch.zeros(1, 12, 5), (4, 4), 2)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 1, 2), dilation=(2, 1, 1), groups=2, padding=(2, 1, 0))], ids=str)
def test_conv_transpose3d(kw, rng):
    ours, theirs = nn.ConvTranspose3d(4, 6, 3, **kw), torch.nn.ConvTranspose3d(4, 6, 3, **kw)
    assert repr(ours) == repr(theirs)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))
    a = rng.standard_normal((2, 4, 3, 5, 4)).astype(np.float32)
    x, y = tritorch.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, out_t = ours(x), theirs(y)
    _close(out, out_t)
    g = rng.standard_normal(out_t.shape).astype(np.float32)
    out.backward(tritorch.tensor(g))
    out_t.backward(torch.tensor(g))
    _close(x.grad, y.grad)
    _close(ours.weight.grad, theirs.weight.grad, 1e-3)
