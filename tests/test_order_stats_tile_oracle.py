"""Oracle: median/nanmedian/kthvalue/mode, meshgrid, repeat_interleave, Tensor.unfold, ravel against
PyTorch (values, indices and gradients), on the CPU and the emulated cuda device."""
import warnings

import numpy as np
import pytest

import tritorch

torch = pytest.importorskip("torch")


def _both(a, device="cpu", grad=True):
    return (tritorch.tensor(a, device=device, requires_grad=grad and a.dtype.kind == "f"),
            torch.tensor(a, requires_grad=grad and a.dtype.kind == "f"))


def _same(x, y):
    np.testing.assert_allclose(x.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_median_values_indices_grads(device, rng):
    a = rng.permutation(60).reshape(3, 4, 5).astype(np.float32)
    for args in ((), (0,), (1, True), (-1,)):
        x, y = _both(a, device)
        ours, theirs = x.median(*args), y.median(*args)
        if args:
            _same(ours.values, theirs.values)
            _same(ours.indices, theirs.indices)
            ours, theirs = ours.values, theirs.values
        _same(ours, theirs)
        (ours * 3).sum().backward()
        (theirs * 3).sum().backward()
        _same(x.grad, y.grad)


def test_median_ties_nan_and_kthvalue():
    a = np.array([[1.0, 2.0, 2.0, 3.0], [np.nan, 1.0, 0.0, 5.0]], np.float32)
    x, y = _both(a)
    _same(torch.tensor(np.float32(tritorch.median(x[0]).item())), torch.median(y[0]))
    assert np.isnan(tritorch.median(x).item()) and np.isnan(torch.median(y).item())
    _same(x.median(1).values, y.median(1).values)
    _same(x.median(1).indices, y.median(1).indices)
    _same(x.nanmedian(1).values, y.nanmedian(1).values)
    _same(tritorch.nanmedian(x), torch.nanmedian(y))
    t = tritorch.median(x[0])
    t.backward()
    tt = torch.median(y[0])
    tt.backward()
    _same(x.grad, y.grad)  # shared evenly between the tied 2s
    b = np.array([[4.0, 1.0, 3.0], [0.5, 9.0, -1.0]], np.float32)
    for k in (1, 2, 3):
        _same(tritorch.kthvalue(tritorch.tensor(b), k).values, torch.kthvalue(torch.tensor(b), k).values)
        _same(tritorch.kthvalue(tritorch.tensor(b), k).indices, torch.kthvalue(torch.tensor(b), k).indices)
    _same(tritorch.kthvalue(tritorch.tensor(b), 2, 0).indices, torch.kthvalue(torch.tensor(b), 2, 0).indices)


def test_mode(rng):
    a = rng.integers(0, 4, (5, 9)).astype(np.float32)
    for dim in (0, 1, -1):
        x, y = _both(a)
        ours, theirs = x.mode(dim), y.mode(dim)
        _same(ours.values, theirs.values)
        _same(ours.indices, theirs.indices)
        ours.values.sum().backward()
        theirs.values.sum().backward()
        _same(x.grad, y.grad)
    b = rng.integers(0, 3, (4, 6))
    _same(tritorch.tensor(b).mode(keepdim=True).values, torch.tensor(b).mode(keepdim=True).values)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing, rng):
    parts = [rng.standard_normal(n).astype(np.float32) for n in (3, 4, 2)]
    for k in (1, 2, 3):
        xs = [tritorch.tensor(p, requires_grad=True) for p in parts[:k]]
        ys = [torch.tensor(p, requires_grad=True) for p in parts[:k]]
        ours, theirs = tritorch.meshgrid(*xs, indexing=indexing), torch.meshgrid(*ys, indexing=indexing)
        for o, t in zip(ours, theirs):
            _same(o, t)
        sum((o * (i + 1)).sum() for i, o in enumerate(ours)).backward()
        sum((t * (i + 1)).sum() for i, t in enumerate(theirs)).backward()
        for a, b in zip(xs, ys):
            _same(a.grad, b.grad)
    with pytest.warns(UserWarning, match="indexing argument"):
        tritorch.meshgrid(tritorch.arange(2), tritorch.arange(3))


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_repeat_interleave(device, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    cases = [(2,), (3, 0), (2, 1), (np.array([1, 0, 2]), 0), (np.array([2]), 1), (np.array([1, 2, 0, 1]), -1)]
    for args in cases:
        x, y = _both(a, device)
        conv = [tritorch.tensor(v, device=device) if isinstance(v, np.ndarray) else v for v in args]
        tconv = [torch.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
        ours, theirs = x.repeat_interleave(*conv), y.repeat_interleave(*tconv)
        _same(ours, theirs)
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
        _same(x.grad, y.grad)
    _same(tritorch.repeat_interleave(tritorch.tensor([2, 0, 3])), torch.repeat_interleave(torch.tensor([2, 0, 3])))


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_tensor_unfold_and_ravel(device, rng):
    a = rng.standard_normal((3, 8, 2)).astype(np.float32)
    for args in ((1, 3, 2), (0, 2, 1), (-1, 2, 2), (1, 8, 1)):
        x, y = _both(a, device)
        ours, theirs = x.unfold(*args), y.unfold(*args)
        assert tuple(ours.shape) == tuple(theirs.shape)
        _same(ours, theirs)
        (ours ** 2).sum().backward()
        (theirs ** 2).sum().backward()
        _same(x.grad, y.grad)
    _same(tritorch.tensor(a).ravel(), torch.tensor(a).ravel())
    for args in ((1, 9, 1), (1, 2, 0)):
        with pytest.raises(RuntimeError) as ours:
            tritorch.tensor(a).unfold(*args)
        with pytest.raises(RuntimeError) as theirs:
            torch.tensor(a).unfold(*args)
        assert str(ours.value) == str(theirs.value)
