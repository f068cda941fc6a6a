"""sort, argsort, topk and unique against numpy, with PyTorch's return types and gradients."""
import numpy as np
import pytest

import tritorch
from tritorch.autograd import gradcheck
from tensor_cases import assert_close, f64, layouts

F32, I64 = tritorch.float32, tritorch.int64


@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_numpy(rng, descending):
    a = rng.standard_normal((3, 6)).astype(np.float32)
    for dim in (0, 1, -1):
        order = np.argsort(-a if descending else a, axis=dim, kind="stable")
        for _, t in layouts(a):
            out = t.sort(dim, descending=descending)
            assert type(out).__name__ == "sort" and out._fields == ("values", "indices")
            assert_close(out.values, np.take_along_axis(a, order, dim), F32)
            assert_close(out.indices, order, I64)
            assert_close(tritorch.argsort(t, dim=dim, descending=descending), order, I64)


def test_sort_stable_ties_and_nan():
    t = tritorch.tensor([2, 1, 2, 1, 0, 2])
    out = tritorch.sort(t, stable=True)
    assert out.values.tolist() == [0, 1, 1, 2, 2, 2] and out.indices.tolist() == [4, 1, 3, 0, 2, 5]
    out = t.sort(descending=True, stable=True)
    assert out.indices.tolist() == [0, 2, 5, 1, 3, 4]
    n = tritorch.tensor([1.0, float("nan"), -1.0])
    assert n.sort().indices.tolist() == [2, 0, 1] and n.sort(descending=True).indices.tolist() == [1, 0, 2]
    assert tritorch.tensor([True, False]).sort().values.tolist() == [False, True]


def test_topk(rng):
    a = rng.standard_normal((4, 7)).astype(np.float32)
    t = tritorch.tensor(a)
    out = t.topk(3)
    assert type(out).__name__ == "topk"
    order = np.argsort(-a, axis=1, kind="stable")[:, :3]
    assert_close(out.values, np.take_along_axis(a, order, 1), F32) and assert_close(out.indices, order, I64)
    small = tritorch.topk(t, 2, dim=0, largest=False)
    order = np.argsort(a, axis=0, kind="stable")[:2]
    assert_close(small.values, np.take_along_axis(a, order, 0), F32) and assert_close(small.indices, order, I64)
    assert t.topk(0).values.shape == (4, 0)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        t.topk(8)


def test_sort_topk_gradients(rng):
    x = f64(rng, (3, 5))
    assert gradcheck(lambda v: v.sort(1).values, (x,))
    assert gradcheck(lambda v: v.sort(0, descending=True)[0], (x,))
    assert gradcheck(lambda v: v.topk(2).values, (x,))
    assert gradcheck(lambda v: v.topk(2, 0, largest=False).values, (x,))
    assert not x.sort().indices.requires_grad


def test_unique(rng):
    a = rng.integers(0, 5, 12)
    t = tritorch.tensor(a)
    vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True)
    assert_close(tritorch.unique(t), vals, I64)
    u, i = t.unique(return_inverse=True)
    assert_close(u, vals, I64) and assert_close(i, inv, I64)
    u, c = tritorch.unique(t, return_counts=True)
    assert_close(c, counts, I64)
    u, i, c = tritorch.unique(t, return_inverse=True, return_counts=True)
    assert_close(u[i], a, I64) and int(c.sum()) == a.size
    m = rng.integers(0, 2, (6, 2))
    rows, inv = tritorch.unique(tritorch.tensor(m), dim=0, return_inverse=True)
    want_rows, want_inv = np.unique(m, axis=0, return_inverse=True)
    assert_close(rows, want_rows, I64) and assert_close(inv, want_inv.reshape(-1), I64)
    f = tritorch.tensor([[1.5, 0.5], [1.5, 2.0]])
    assert tritorch.unique(f).tolist() == [0.5, 1.5, 2.0] and tritorch.unique(f, return_inverse=True)[1].shape == (2, 2)


def test_descending_sort_of_unsigned_ints_and_nan_before_inf():
    u = tritorch.tensor([0, 5, 200, 5], dtype=tritorch.uint8)
    values, idx = u.sort(descending=True, stable=True)
    assert values.tolist() == [200, 5, 5, 0] and idx.tolist() == [2, 1, 3, 0]     # -x would wrap uint8
    f = tritorch.tensor([1.0, float("inf"), float("nan"), -0.0, 0.0, float("nan"), -float("inf")])
    values, idx = f.sort(descending=True, stable=True)
    assert idx.tolist() == [2, 5, 1, 0, 3, 4, 6]                                  # NaN first, then +inf
    assert f.sort(stable=True)[1].tolist() == [6, 3, 4, 0, 1, 2, 5]
    i8 = tritorch.tensor([-128, 127, 0, -128], dtype=tritorch.int8)
    assert i8.sort(descending=True, stable=True)[1].tolist() == [1, 2, 0, 3]


def test_unique_keeps_each_nan_apart_as_pytorch():
    for dtype in (tritorch.float32, tritorch.bfloat16):
        x = tritorch.tensor([float("nan"), 1.0, float("nan"), -0.0, 0.0], dtype=dtype)
        values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
        assert values.float().tolist()[:2] == [0.0, 1.0] and values[2:].isnan().all() and len(values) == 4
        assert counts.tolist() == [2, 1, 1, 1] and inverse.tolist()[1::2] == [1, 0]
