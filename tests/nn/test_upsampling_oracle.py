"""Oracle: interpolate / Upsample / PixelShuffle / padding / InstanceNorm / PReLU / Dropout2d against
PyTorch, values and gradients, on the CPU and the emulated cuda device."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F

torch = pytest.importorskip("torch")


def _pair(a, device="cpu", grad=True):
    x = tritorch.tensor(a, device=device, requires_grad=grad)
    y = torch.tensor(a, requires_grad=grad)
    return x, y


def _check(fx, fy, a, device="cpu", rtol=1e-5, atol=1e-5, grad=True):
    x, y = _pair(a, device, grad)
    out_x, out_y = fx(x), fy(y)
    np.testing.assert_allclose(out_x.detach().cpu().numpy(), out_y.detach().numpy(), rtol=rtol, atol=atol)
    if grad:
        g = np.random.default_rng(0).standard_normal(out_y.shape).astype(a.dtype)
        out_x.backward(tritorch.tensor(g, device=device))
        out_y.backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.cpu().numpy(), y.grad.numpy(), rtol=rtol, atol=atol)


CASES = [  # (input shape, kwargs)
    ((2, 3, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 7), dict(size=4, mode="nearest")),
    ((1, 2, 5, 7), dict(size=(9, 4), mode="nearest")),
    ((1, 2, 5, 7), dict(scale_factor=1.7, mode="nearest")),
    ((1, 2, 5, 7), dict(scale_factor=1.7, mode="nearest", recompute_scale_factor=True)),
    ((1, 2, 5, 7), dict(size=(11, 3), mode="nearest-exact")),
    ((2, 3, 5), dict(size=9, mode="linear")),
    ((2, 3, 5), dict(size=9, mode="linear", align_corners=True)),
    ((1, 2, 5, 7), dict(size=(8, 13), mode="bilinear")),
    ((1, 2, 5, 7), dict(size=(3, 4), mode="bilinear", align_corners=True)),
    ((1, 2, 5, 7), dict(scale_factor=(2.5, 0.6), mode="bilinear")),
    ((1, 2, 5, 7), dict(size=(8, 13), mode="bicubic")),
    ((1, 2, 5, 7), dict(size=(4, 3), mode="bicubic", align_corners=True)),
    ((1, 2, 5, 7), dict(scale_factor=1.5, mode="bicubic")),
    ((1, 2, 3, 4, 5), dict(size=(5, 6, 3), mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((1, 2, 7, 9), dict(size=(3, 4), mode="area")),
]


@pytest.mark.parametrize("shape,kw", CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_interpolate_matches_torch(shape, kw, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    _check(lambda x: F.interpolate(x, **kw), lambda y: torch.nn.functional.interpolate(y, **kw), a)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_interpolate_on_cuda(mode, rng):
    a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    _check(lambda x: F.interpolate(x, size=(7, 3), mode=mode),
           lambda y: torch.nn.functional.interpolate(y, size=(7, 3), mode=mode), a, device="cuda")


def test_interpolate_errors():
    x = tritorch.zeros(1, 2, 3, 4)
    for kw in (dict(size=2, scale_factor=2), dict(), dict(size=2, mode="linear"),
               dict(size=2, mode="nearest", align_corners=True), dict(size=(1, 2, 3))):
        with pytest.raises(Exception) as ours:
            F.interpolate(x, **kw)
        with pytest.raises(Exception) as theirs:
            torch.nn.functional.interpolate(torch.zeros(1, 2, 3, 4), **kw)
        assert type(ours.value) is type(theirs.value)
        assert str(ours.value) == str(theirs.value)


def test_upsample_modules(rng):
    a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    pairs = [(nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
             (nn.Upsample(size=(6, 7), mode="bilinear", align_corners=False),
              torch.nn.Upsample(size=(6, 7), mode="bilinear", align_corners=False)),
             (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
             (nn.UpsamplingBilinear2d(size=(5, 9)), torch.nn.UpsamplingBilinear2d(size=(5, 9))),
             (nn.PixelShuffle(2), torch.nn.PixelShuffle(2))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        b = a if not isinstance(ours, nn.PixelShuffle) else rng.standard_normal((2, 8, 3, 5)).astype(np.float32)
        _check(ours, theirs, b)
    b = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)
    _check(nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2), b)


PADS = [("ReflectionPad1d", 2, (2, 4, 5)), ("ReflectionPad2d", (1, 2, 3, 0), (2, 3, 4, 5)),
        ("ReplicationPad1d", (3, 1), (2, 4, 5)), ("ReplicationPad2d", 2, (3, 4, 5)),
        ("ZeroPad2d", (1, 0, 2, 3), (2, 3, 4, 5)), ("ConstantPad1d", 2, (2, 4, 5)),
        ("ConstantPad2d", (1, 2, 0, 1), (1, 3, 4, 5)), ("ReflectionPad3d", 1, (1, 2, 3, 4, 5)),
        ("ReplicationPad3d", (1, 0, 2, 1, 0, 1), (1, 2, 3, 4, 5)), ("CircularPad2d", 1, (1, 2, 3, 4))]


@pytest.mark.parametrize("name,padding,shape", PADS)
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_padding_modules(name, padding, shape, device, rng):
    args = (padding, 1.5) if name.startswith("Constant") else (padding,)
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    _check(ours, theirs, rng.standard_normal(shape).astype(np.float32), device=device)


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 7)), ("InstanceNorm2d", (2, 4, 3, 5)),
                                       ("InstanceNorm3d", (2, 4, 2, 3, 3)), ("InstanceNorm2d", (4, 3, 5))])
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True)])
def test_instance_norm(cls, shape, affine, track, rng):
    ours = getattr(nn, cls)(4, affine=affine, track_running_stats=track)
    theirs = getattr(torch.nn, cls)(4, affine=affine, track_running_stats=track)
    assert repr(ours) == repr(theirs)
    if affine:
        w, b = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
        with tritorch.no_grad():
            ours.weight.copy_(tritorch.tensor(w))
            ours.bias.copy_(tritorch.tensor(b))
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(w))
            theirs.bias.copy_(torch.tensor(b))
    a = rng.standard_normal(shape).astype(np.float32) * 3 + 1
    _check(ours, theirs, a, rtol=1e-4, atol=1e-4)
    if track:
        np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5, atol=1e-6)
        ours.eval(), theirs.eval()
        _check(ours, theirs, a, rtol=1e-4, atol=1e-4)
        assert sorted(ours.state_dict()) == sorted(theirs.state_dict())


def test_prelu(rng):
    for n, shape in ((1, (3, 4)), (4, (2, 4, 5)), (3, (2, 3, 2, 2))):
        ours, theirs = nn.PReLU(n, init=0.1), torch.nn.PReLU(n, init=0.1)
        assert repr(ours) == repr(theirs)
        _check(ours, theirs, rng.standard_normal(shape).astype(np.float32))
        assert ours.weight.grad is not None


def test_batchnorm3d(rng):
    a = rng.standard_normal((2, 3, 2, 3, 4)).astype(np.float32)
    _check(nn.BatchNorm3d(3), torch.nn.BatchNorm3d(3), a, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(4, 6), (3, 5, 7), (2, 3, 4, 5)])
def test_dropout2d_ranks_follow_torch(shape):
    """Which elements share a mask value (dims 0-1 per (n, c)) and which ranks warn."""
    import warnings
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        y = F.dropout2d(tritorch.ones(*shape), 0.5).numpy()
    with warnings.catch_warnings(record=True) as theirs_w:
        warnings.simplefilter("always")
        torch.nn.functional.dropout2d(torch.ones(*shape), 0.5)
    assert len(ours_w) == len(theirs_w)
    flat = y.reshape(shape[0], shape[1], -1)
    assert (flat == flat[:, :, :1]).all()
    assert set(np.unique(y)) <= {0.0, 2.0}
