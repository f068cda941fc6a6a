"""Oracle: lazy modules, SyncBatchNorm in one process, deprecated nn.init names, adaptive max
pooling, max_pool3d, affine_grid / grid_sample against PyTorch (values and gradients)."""
import warnings

import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F

torch = pytest.importorskip("torch")


def _grads(fn_ours, fn_theirs, arrays, rng, tol=1e-6):
    xs = [tritorch.tensor(a, requires_grad=True) for a in arrays]
    ys = [torch.tensor(a, requires_grad=True) for a in arrays]
    o, r = fn_ours(*xs), fn_theirs(*ys)
    assert tuple(o.shape) == tuple(r.shape)
    np.testing.assert_allclose(o.detach().numpy(), r.detach().numpy(), rtol=tol, atol=tol)
    w = rng.standard_normal(tuple(r.shape))
    (o * tritorch.tensor(w, dtype=o.dtype)).sum().backward()
    (r * torch.tensor(w, dtype=r.dtype)).sum().backward()
    for x, y in zip(xs, ys):
        got = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        np.testing.assert_allclose(got, y.grad.numpy(), rtol=tol, atol=tol)


def test_lazy_modules_materialise_and_become_their_class(rng):
    model = nn.Sequential(nn.LazyConv2d(4, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(),
                          nn.LazyLinear(3))
    opt = tritorch.optim.SGD(model.parameters(), lr=0.1)  # made before the shapes are known, as PyTorch allows
    x = tritorch.tensor(rng.standard_normal((2, 5, 6, 6)).astype(np.float32))
    out = model(x)
    assert tuple(out.shape) == (2, 3)
    assert [type(m).__name__ for m in model] == ["Conv2d", "BatchNorm2d", "ReLU", "Flatten", "Linear"]
    assert tuple(model[0].weight.shape) == (4, 5, 3, 3) and model[4].in_features == 4 * 36
    before = model[4].weight.detach().clone()
    out.sum().backward()
    opt.step()
    assert not np.array_equal(before.numpy(), model[4].weight.detach().numpy())
    theirs = torch.nn.Sequential(torch.nn.LazyConv2d(4, 3, padding=1), torch.nn.LazyBatchNorm2d(),
                                 torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.LazyLinear(3))
    theirs(torch.tensor(x.numpy()))
    assert list(model.state_dict()) == list(theirs.state_dict())
    assert repr(model) == repr(theirs)


def test_sync_batchnorm_in_one_process(rng):
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    ref = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    ref.load_state_dict(net.state_dict())
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert type(sync[1]).__name__ == "SyncBatchNorm" and sync[1].weight is not None
    x = tritorch.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    np.testing.assert_allclose(sync(x).detach().numpy(), ref(x).detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sync[1].running_mean.numpy(), ref[1].running_mean.numpy(), rtol=1e-6)
    theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3),
                                                                               torch.nn.BatchNorm2d(4)))
    assert list(sync.state_dict()) == list(theirs.state_dict())


def test_deprecated_init_names_warn_and_work():
    t = tritorch.zeros(3, 4)
    for name, args in (("constant", (2.0,)), ("normal", ()), ("uniform", ()), ("xavier_uniform", ()),
                       ("kaiming_normal", ())):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(nn.init, name)(t, *args)
        assert any(f"nn.init.{name}_" in str(w.message) for w in caught)
    nn.init.constant(t, 2.0)
    assert (t.numpy() == 2.0).all()


@pytest.mark.parametrize("size", [(3, 4), (1, 1), (7, 9), (None, 2)])
def test_adaptive_max_pool(size, rng):
    a = rng.standard_normal((2, 3, 7, 9))
    _grads(lambda x: F.adaptive_max_pool2d(x, size), lambda y: torch.nn.functional.adaptive_max_pool2d(y, size),
           [a], rng)
    out, idx = F.adaptive_max_pool2d(tritorch.tensor(a), size, return_indices=True)
    _, idx_t = torch.nn.functional.adaptive_max_pool2d(torch.tensor(a), size, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())
    b = rng.standard_normal((2, 3, 10))
    _grads(lambda x: nn.AdaptiveMaxPool1d(4)(x), lambda y: torch.nn.AdaptiveMaxPool1d(4)(y), [b], rng)


@pytest.mark.parametrize("k,kw", [(2, {}), ((3, 2, 3), dict(padding=1)), (2, dict(ceil_mode=True)),
                                  (3, dict(stride=2, dilation=(2, 1, 1))), (3, dict(stride=2, padding=1,
                                                                                   ceil_mode=True))], ids=str)
def test_max_pool3d(k, kw, rng):
    a = rng.standard_normal((2, 2, 7, 6, 7))
    _grads(lambda x: nn.MaxPool3d(k, **kw)(x), lambda y: torch.nn.MaxPool3d(k, **kw)(y), [a], rng)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_affine_grid_and_grid_sample(align_corners, mode, padding_mode, rng):
    theta = rng.standard_normal((2, 2, 3)) * 0.6
    _grads(lambda t: F.affine_grid(t, (2, 3, 4, 7), align_corners=align_corners),
           lambda t: torch.nn.functional.affine_grid(t, (2, 3, 4, 7), align_corners=align_corners), [theta], rng)
    a, grid = rng.standard_normal((2, 3, 5, 6)), rng.uniform(-1.3, 1.3, (2, 4, 7, 2))
    _grads(lambda x, g: F.grid_sample(x, g, mode, padding_mode, align_corners),
           lambda x, g: torch.nn.functional.grid_sample(x, g, mode, padding_mode, align_corners), [a, grid], rng,
           tol=1e-9)


def test_counting_ops_match_torch(rng):
    ints = rng.integers(0, 6, 20)
    w = rng.standard_normal(20).astype(np.float32)
    np.testing.assert_array_equal(tritorch.bincount(tritorch.tensor(ints)).numpy(),
                                  torch.bincount(torch.tensor(ints)).numpy())
    np.testing.assert_allclose(tritorch.bincount(tritorch.tensor(ints), tritorch.tensor(w), minlength=9).numpy(),
                               torch.bincount(torch.tensor(ints), torch.tensor(w), minlength=9).numpy(), rtol=1e-6)
    bounds, vals = np.array([-1.0, 0.0, 0.5, 2.0]), rng.standard_normal((3, 5))
    for right in (False, True):
        np.testing.assert_array_equal(
            tritorch.bucketize(tritorch.tensor(vals), tritorch.tensor(bounds), right=right).numpy(),
            torch.bucketize(torch.tensor(vals), torch.tensor(bounds), right=right).numpy())
        seq = np.sort(rng.standard_normal((3, 6)), -1)
        np.testing.assert_array_equal(
            tritorch.searchsorted(tritorch.tensor(seq), tritorch.tensor(vals), right=right).numpy(),
            torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right).numpy())
    for p in (2.0, 1.0, 3.0, float("inf")):
        _grads(lambda x, y: tritorch.cdist(x, y, p), lambda x, y: torch.cdist(x, y, p),
               [rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3))], rng, tol=1e-6)
    a = rng.standard_normal((4, 3))
    _grads(lambda x: x.clamp_min(0.1) + x.clamp_max(-0.2), lambda y: y.clamp_min(0.1) + y.clamp_max(-0.2), [a], rng)
    src = rng.standard_normal((2, 3))
    _grads(lambda x, s: x.index_copy(0, tritorch.tensor([3, 1]), s),
           lambda x, s: x.index_copy(0, torch.tensor([3, 1]), s), [a, src], rng)
