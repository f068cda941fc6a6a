"""Reductions, scans and softmax against numpy: dims as int or tuple, keepdim, layouts, gradients."""
import numpy as np
import pytest

import tritorch
from tritorch.autograd import gradcheck
from tensor_cases import assert_close, f64, layouts

F32, F64, I64 = tritorch.float32, tritorch.float64, tritorch.int64
DIMS = [None, 0, -1, (0, 2), (1,), (-3, -1)]


def _np_dim(dim):
    return tuple(dim) if isinstance(dim, (tuple, list)) else dim


# name -> numpy reference taking (array, axis, keepdims)
REDUCTIONS = {
    "sum": lambda a, ax, k: np.sum(a, axis=ax, keepdims=k),
    "mean": lambda a, ax, k: np.mean(a, axis=ax, keepdims=k),
    "amax": lambda a, ax, k: np.max(a, axis=ax, keepdims=k),
    "amin": lambda a, ax, k: np.min(a, axis=ax, keepdims=k),
    "logsumexp": lambda a, ax, k: np.log(np.sum(np.exp(a), axis=ax, keepdims=k)),
    "var": lambda a, ax, k: np.var(a, axis=ax, keepdims=k, ddof=1),
    "std": lambda a, ax, k: np.std(a, axis=ax, keepdims=k, ddof=1),
    "norm": lambda a, ax, k: np.sqrt(np.sum(a * a, axis=ax, keepdims=k)),
    "prod": None,
}


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", sorted(n for n in REDUCTIONS if n != "prod"))
def test_reductions_forward(rng, name, keepdim):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    for dim in DIMS:
        if dim is None and name == "logsumexp":
            continue  # logsumexp requires dim
        for _, t in layouts(a):
            args = {} if dim is None else {"dim": dim}
            want = REDUCTIONS[name](a.astype(np.float64), _np_dim(dim), keepdim)
            if name in ("amax", "amin") and dim is None:
                want = REDUCTIONS[name](a.astype(np.float64), None, keepdim)
            assert_close(getattr(t, name)(**args, keepdim=keepdim), want, F32, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "logsumexp", "var", "std", "norm", "prod"])
def test_reductions_gradcheck(rng, name):
    x = f64(rng, (2, 3, 4), 0.5, 2.0)
    for dim, keepdim in [((0, 2), False), (-1, True), (1, False)]:
        assert gradcheck(lambda v: getattr(v, name)(dim=dim, keepdim=keepdim) if name != "prod" or isinstance(dim, int)
                         else v.prod(), (x,)), (dim, keepdim)
    if name not in ("logsumexp",):
        assert gradcheck(lambda v: getattr(v.transpose(0, 2), name)(), (x,))


def test_prod_forward_and_zero_gradients(rng):
    a = rng.uniform(0.5, 1.5, (3, 4)).astype(np.float32)
    t = tritorch.tensor(a)
    assert_close(t.prod(), np.prod(a.astype(np.float32)), F32)
    assert_close(t.prod(1, keepdim=True), np.prod(a.astype(np.float32), 1, keepdims=True), F32)
    assert tritorch.tensor([2, 3]).prod().dtype is I64 and tritorch.tensor([True, True]).prod().dtype is I64
    x = tritorch.tensor([2.0, 0.0, 3.0, 0.0], dtype=F64, requires_grad=True)  # two zeros: gradient 0 everywhere
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    x = tritorch.tensor([2.0, 0.0, 3.0], dtype=F64, requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]


def test_integer_and_bool_sums_are_int64():
    assert tritorch.tensor([True, True, False]).sum().item() == 2
    assert tritorch.tensor([True]).sum().dtype is I64
    assert tritorch.tensor([1, 2], dtype=tritorch.int32).sum().dtype is I64
    assert tritorch.tensor([1, 2], dtype=tritorch.uint8).sum(dtype=tritorch.float64).dtype is F64
    assert tritorch.ones(3, dtype=tritorch.float16).sum().dtype is tritorch.float16
    assert tritorch.tensor([1, 2], dtype=tritorch.int32).cumsum(0).dtype is I64
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        tritorch.tensor([1, 2]).mean()
    assert tritorch.tensor([1, 2]).mean(dtype=F32).item() == 1.5


def test_empty_and_zero_dim_reductions():
    e = tritorch.zeros(0, 3)
    assert e.sum().item() == 0.0 and e.sum(0).tolist() == [0.0, 0.0, 0.0] and e.prod().item() == 1.0
    assert np.isnan(e.mean().item())
    assert e.sum(1).shape == (0,)
    with pytest.raises(RuntimeError, match="Expected reduction dim"):
        e.amax()
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        e.argmax(0)
    z = tritorch.tensor(3.0)
    assert z.sum().item() == 3.0 and z.sum(0).item() == 3.0 and z.mean(-1).item() == 3.0
    assert z.amax().item() == 3.0 and z.argmax().item() == 0 and z.max(0).values.item() == 3.0
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        z.sum(1)


def test_max_min_named_tuples_and_argmax(rng):
    a = rng.standard_normal((3, 5)).astype(np.float32)
    for _, t in layouts(a):
        out = t.max(1)
        assert type(out).__name__ == "max" and out._fields == ("values", "indices")
        values, indices = out
        assert_close(values, a.max(1), F32)
        assert_close(indices, a.argmax(1), I64)
        m = tritorch.min(t, dim=0, keepdim=True)
        assert_close(m.values, a.min(0, keepdims=True), F32)
        assert_close(m.indices, a.argmin(0)[None], I64)
        assert_close(t.max(), a.max(), F32)
        assert_close(t.argmax(), a.argmax(), I64)
        assert_close(t.argmin(1, keepdim=True), a.argmin(1)[:, None], I64)
    other = rng.standard_normal(5).astype(np.float32)
    assert_close(tritorch.max(tritorch.tensor(a), tritorch.tensor(other)), np.maximum(a, other), F32)


def test_max_min_ties_share_the_gradient():
    x = tritorch.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]
    x = tritorch.tensor([[2.0, 2.0], [1.0, 0.0]], requires_grad=True)
    x.amin(1).sum().backward()
    assert x.grad.tolist() == [[0.5, 0.5], [0.0, 1.0]]
    x = tritorch.tensor([[1.0, 3.0, 3.0]], requires_grad=True)  # max(dim) routes to the returned index only
    x.max(1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0]]
    a, b = tritorch.tensor([1.0, 2.0], requires_grad=True), tritorch.tensor([1.0, 3.0], requires_grad=True)
    tritorch.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0] and b.grad.tolist() == [0.5, 1.0]


def test_var_std_correction_and_unbiased(rng):
    a = rng.standard_normal((4, 6))
    t = tritorch.tensor(a, dtype=F64)
    assert_close(t.var(), a.var(ddof=1), F64)
    assert_close(t.var(unbiased=False), a.var(), F64)
    assert_close(t.std(1, correction=0), a.std(1), F64)
    assert_close(t.std(dim=0, correction=2, keepdim=True), a.std(0, ddof=2, keepdims=True), F64)
    assert_close(tritorch.var(t, 1, False), a.var(1), F64)
    v, m = tritorch.var_mean(t, 1)
    assert_close(v, a.var(1, ddof=1), F64) and assert_close(m, a.mean(1), F64)
    assert tritorch.tensor([1, 2, 3]).var().dtype is F32


def test_cumsum_cumprod(rng):
    a = rng.uniform(0.5, 1.5, (3, 4)).astype(np.float32)
    for _, t in layouts(a):
        assert_close(t.cumsum(1), np.cumsum(a, 1), F32)
        assert_close(tritorch.cumprod(t, dim=0), np.cumprod(a, 0), F32)
        assert_close(t.cumsum(-1), np.cumsum(a, -1), F32)
    assert tritorch.tensor([1, 2, 3]).cumsum(0).tolist() == [1, 3, 6]
    x = f64(rng, (3, 4), 0.5, 1.5)
    assert gradcheck(lambda v: v.cumsum(1), (x,)) and gradcheck(lambda v: v.cumprod(0), (x,))


def test_all_any_count_nonzero(rng):
    a = rng.integers(0, 3, (3, 4))
    t = tritorch.tensor(a)
    assert t.all().item() == bool(a.all()) and t.any().item() == bool(a.any())
    np.testing.assert_array_equal(t.all(1).numpy(), a.all(1))
    np.testing.assert_array_equal(tritorch.any(t, 0, keepdim=True).numpy(), a.any(0, keepdims=True))
    assert t.all(1).dtype is tritorch.bool
    assert_close(tritorch.count_nonzero(t), np.count_nonzero(a), I64)
    assert_close(t.count_nonzero(dim=0), np.count_nonzero(a, axis=0), I64)
    assert_close(t.count_nonzero((0, 1)), np.count_nonzero(a), I64)


def test_norm_variants(rng):
    a = rng.standard_normal((3, 4))
    t = tritorch.tensor(a, dtype=F64)
    assert_close(t.norm(), np.linalg.norm(a), F64)
    assert_close(t.norm(1, dim=1), np.abs(a).sum(1), F64)
    assert_close(t.norm(float("inf"), dim=0), np.abs(a).max(0), F64)
    assert_close(t.norm(3, dim=1, keepdim=True), (np.abs(a) ** 3).sum(1, keepdims=True) ** (1 / 3), F64)
    z = tritorch.zeros(3, requires_grad=True)
    z.norm().backward()
    assert z.grad.tolist() == [0.0, 0.0, 0.0]  # the subgradient at 0, not nan


@pytest.mark.parametrize("log", [False, True])
def test_softmax_and_log_softmax(rng, log):
    a = rng.standard_normal((3, 5)).astype(np.float32) * 10
    z = a - a.max(1, keepdims=True)
    want = z - np.log(np.exp(z).sum(1, keepdims=True)) if log else np.exp(z) / np.exp(z).sum(1, keepdims=True)
    for _, t in layouts(a):
        fn = "log_softmax" if log else "softmax"
        assert_close(getattr(tritorch, fn)(t, 1), want, F32, rtol=1e-5, atol=1e-5)
        assert_close(getattr(t, fn)(dim=-1), want, F32, rtol=1e-5, atol=1e-5)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):  # as PyTorch: no integer softmax
        tritorch.tensor([1, 2]).softmax(0)
    assert tritorch.tensor([1, 2]).softmax(0, dtype=F32).dtype is F32
    big = tritorch.tensor([1000.0, 0.0])  # max-subtracted: no overflow
    assert big.softmax(0).tolist() == [1.0, 0.0]
    x = f64(rng, (2, 4))
    assert gradcheck(lambda v: getattr(v, "log_softmax" if log else "softmax")(1), (x,))
    assert tritorch.autograd.gradgradcheck(lambda v: getattr(v, "log_softmax" if log else "softmax")(0), (x,))


def test_sum_to_size_and_dim_errors(rng):
    t = tritorch.tensor(rng.standard_normal((2, 3, 4)), dtype=F32)
    assert t.sum_to_size(3, 1).shape == (3, 1)
    assert_close(t.sum_to_size((1, 3, 1)), t.numpy().sum((0, 2), keepdims=True), F32, rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match="is not expandable"):
        t.sum_to_size(5)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.sum(3)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        t.sum((0, 0))
