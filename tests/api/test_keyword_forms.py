"""Keyword forms PyTorch's argument parser accepts: axis=/keepdims=, out= (cast, resize, autograd
refusal, tuple outs), one-keyword sizes (reshape(shape=), zeros(size=)), autograd.grad(only_inputs=)."""
import warnings

import numpy as np
import pytest

import tritorch


@pytest.fixture
def oracle():
    return pytest.importorskip("torch")


def _pair(oracle, rng, shape=(3, 5)):
    a = rng.standard_normal(shape).astype(np.float32)
    return tritorch.tensor(a), oracle.tensor(a)


@pytest.mark.parametrize("op, kwargs", [
    ("sum", dict(axis=1)), ("mean", dict(axis=0, keepdims=True)), ("std", dict(axis=1)), ("argmax", dict(axis=1)),
    ("amax", dict(axis=0, keepdims=True)), ("prod", dict(axis=1, keepdims=True)), ("logsumexp", dict(axis=1)),
    ("cumsum", dict(axis=1)), ("softmax", dict(axis=0)), ("var", dict(axis=0, keepdims=True)),
])
def test_numpy_aliases_match_pytorch(oracle, rng, op, kwargs):
    ours, theirs = _pair(oracle, rng)
    for a, b in [(getattr(ours, op)(**kwargs), getattr(theirs, op)(**kwargs)),
                 (getattr(tritorch, op)(ours, **kwargs), getattr(oracle, op)(theirs, **kwargs))]:
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    values, idx = ours.max(axis=1, keepdims=True)
    np.testing.assert_array_equal(idx.numpy(), theirs.max(axis=1, keepdims=True).indices.numpy())
    with pytest.raises(TypeError, match="multiple values"):
        ours.sum(axis=0, dim=1)


def test_out_writes_casts_resizes_and_refuses_autograd(oracle, rng):
    ours, theirs = _pair(oracle, rng)
    for lib, x in ((tritorch, ours), (oracle, theirs)):
        r = lib.empty(0)
        assert lib.add(x, x, alpha=2, out=r) is r and tuple(r.shape) == (3, 5)
        d = lib.empty(3, 5, dtype=lib.float64)
        lib.mul(x, x, out=d)                                  # float32 result cast into float64
        assert d.dtype == lib.float64
        resized = r"had shape \[7\], which does not match the required output shape \[3, 5\]"
        with pytest.warns(UserWarning, match=resized):
            lib.mul(x, 2, out=lib.empty(7))
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            lib.add(x, x, out=lib.empty(3, 5, dtype=lib.int64))
        w = lib.ones(3, 5, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"add\(\): functions with out=... arguments don't support automatic"):
            lib.add(w, x, out=lib.empty(3, 5))
        with lib.no_grad():
            lib.add(w, x, out=lib.empty(3, 5))
        values, indices = lib.empty(0), lib.empty(0, dtype=lib.int64)
        got = lib.max(x, 1, out=(values, indices))
        assert got[0] is values and got[1] is indices
    np.testing.assert_allclose(tritorch.add(ours, ours, alpha=2).numpy(), oracle.add(theirs, theirs, alpha=2).numpy())
    m = tritorch.empty(3, 3)
    tritorch.matmul(ours, ours.T, out=m)
    np.testing.assert_allclose(m.numpy(), (theirs @ theirs.T).numpy(), rtol=1e-5, atol=1e-5)
    base = tritorch.zeros(4, 5)
    tritorch.add(ours, 1, out=base[1:])                        # a view: the write reaches its base
    np.testing.assert_allclose(base[1:].numpy(), ours.numpy() + 1, rtol=1e-6)
    assert base[0].abs().sum().item() == 0
    c = tritorch.empty(0)
    tritorch.cat([ours, ours], dim=0, out=c)
    assert c.shape == (6, 5)
    z = tritorch.full((2,), 9.0)
    tritorch.zeros(2, out=z)                                   # out= on creation ops is no longer ignored
    assert z.tolist() == [0.0, 0.0]


def test_one_keyword_sizes(oracle):
    for lib in (tritorch, oracle):
        x = lib.arange(6.0)
        assert tuple(x.reshape(shape=(2, 3)).shape) == (2, 3) and tuple(lib.reshape(x, shape=(3, 2)).shape) == (3, 2)
        assert tuple(x.view(size=(3, 2)).shape) == (3, 2) and tuple(lib.zeros(size=(2, 4)).shape) == (2, 4)
        assert tuple(lib.randn(size=[3]).shape) == (3,) and tuple(x.repeat(repeats=(2,)).shape) == (12,)
        assert tuple(x.reshape(2, 3).permute(dims=(1, 0)).shape) == (3, 2)


def test_grad_only_inputs(oracle):
    for lib in (tritorch, oracle):
        a = lib.ones(2, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            g, = lib.autograd.grad((a * 3).sum(), a, only_inputs=True)
        assert g.tolist() == [3.0, 3.0]
        with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
            lib.autograd.grad((a * 3).sum(), a, only_inputs=False)
