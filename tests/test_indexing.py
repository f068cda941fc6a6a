"""__getitem__/__setitem__ with numpy's (PyTorch's) rules, gather/scatter and friends, with gradients."""
import numpy as np
import pytest

import tritorch
from tritorch.autograd import gradcheck
from tensor_cases import assert_close, f64, layouts

F32, I64 = tritorch.float32, tritorch.int64

# indices applied identically to numpy and tritorch (lists stand for integer tensors)
INDICES = [
    (1,), (-1,), (slice(None, None, 2),), (slice(1, None), 2), (Ellipsis, 1), (None, 0), (0, None, slice(1, 3)),
    (slice(None), None, Ellipsis), ([0, 2],), ([[0, 1], [2, 2]],), (slice(None), [3, 0, 3]),
    ([0, 1], [1, 2]),                       # two advanced indices broadcast together
    ([0, 2], slice(None), [1, 3]),          # advanced indices split by a slice: result dims go first
    (slice(None), [0, 1], slice(1, 3)),     # mixed advanced + basic
    (1, [0, 2], [1, 3]), (Ellipsis, [0, 0]), (slice(5, 9),), (slice(None), slice(1, 1)),
]


def _tensor_index(idx):
    return tuple(tritorch.tensor(i) if isinstance(i, list) else i for i in idx)


@pytest.mark.parametrize("idx", INDICES, ids=[str(i) for i in INDICES])
def test_getitem_matches_numpy(rng, idx):
    a = rng.standard_normal((3, 4, 5)).astype(np.float32)
    want = a[tuple(np.array(i) if isinstance(i, list) else i for i in idx)]
    for _, t in layouts(a):
        assert_close(t[idx], want, F32)
        assert_close(t[_tensor_index(idx)], want, F32)


def test_basic_indexing_gives_views_advanced_gives_copies(rng):
    t = tritorch.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    v = t[1:, ::2]
    assert np.shares_memory(v.numpy(), t.numpy()) and v.stride() == (4, 2)
    c = t[[0, 1]]
    assert not np.shares_memory(c.numpy(), t.numpy())
    s = t[1, 2]
    assert s.shape == () and np.shares_memory(s.numpy(), t.numpy())


def test_bool_masks(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    t = tritorch.tensor(a)
    m = a > 0
    assert_close(t[tritorch.tensor(m)], a[m], F32)
    rows = rng.standard_normal(3) > 0
    assert_close(t[tritorch.tensor(rows)], a[rows], F32)
    assert_close(t[:, tritorch.tensor([True, False, True, True])], a[:, [True, False, True, True]], F32)
    assert_close(t[t > 0], a[a > 0], F32)
    assert t[True].shape == (1, 3, 4) and t[False].shape == (0, 3, 4)
    assert_close(t.masked_select(tritorch.tensor(m)), a[m], F32)
    assert_close(t.masked_select(tritorch.tensor(rows[:, None])), np.broadcast_to(a, (3, 4))[
        np.broadcast_to(rows[:, None], (3, 4))], F32)


def test_index_errors(rng):
    t = tritorch.zeros(3, 4)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        t[3]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        t[tritorch.tensor([0.0])]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        t[::-1]
    with pytest.raises(IndexError):
        t[tritorch.tensor([5])]


def test_getitem_gradients_accumulate_repeats(rng):
    x = f64(rng, (3, 4))
    assert gradcheck(lambda v: v[1:, ::2], (x,))
    assert gradcheck(lambda v: v[[0, 0, 2], 1:], (x,))
    assert gradcheck(lambda v: v[tritorch.tensor([[1, 1], [0, 2]]), tritorch.tensor([3, 3])], (x,))
    mask = tritorch.tensor(rng.standard_normal((3, 4)) > 0)
    assert gradcheck(lambda v: v[mask], (x,))
    y = tritorch.zeros(3, requires_grad=True)
    y[[0, 0, 2]].sum().backward()
    assert y.grad.tolist() == [2.0, 0.0, 1.0]


def test_setitem_broadcasts_like_numpy(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    cases = [((slice(None), 1), rng.standard_normal(3)), ((1,), rng.standard_normal(4)), ((Ellipsis,), 2.5),
             ((slice(None), slice(1, 3)), rng.standard_normal((3, 1))), (([0, 2], 0), 5.0),
             (([0, 2],), rng.standard_normal(4)), ((a > 0,), -1.0), ((slice(None, None, 2), [1, 3]), 7.0)]
    for idx, value in cases:
        want = a.copy()
        want[idx] = value
        for _, view in layouts(a):
            t = view.clone()
            tidx = tuple(tritorch.tensor(i) if isinstance(i, (list, np.ndarray)) else i for i in idx)
            t[tidx] = tritorch.tensor(value, dtype=F32) if isinstance(value, np.ndarray) else value
            assert_close(t, want, F32)
    t = tritorch.zeros(3, 4)
    with pytest.raises(RuntimeError):
        t[0] = tritorch.ones(3)
    i = tritorch.zeros(3, dtype=I64)
    i[1] = 2.7  # assigning a float into an int tensor truncates, as PyTorch's copy_
    assert i.tolist() == [0, 2, 0]


def test_setitem_through_a_view_writes_the_base(rng):
    t = tritorch.zeros(3, 4)
    v = t.t()
    v[1] = 5.0
    assert t[:, 1].tolist() == [5.0, 5.0, 5.0]
    t[1:, ::2][0] = 2.0
    assert t[1].tolist() == [2.0, 5.0, 2.0, 0.0]


def test_gather_scatter(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    idx = rng.integers(0, 4, (3, 2))
    t, ti = tritorch.tensor(a), tritorch.tensor(idx)
    assert_close(t.gather(1, ti), np.take_along_axis(a, idx, 1), F32)
    idx0 = rng.integers(0, 3, (2, 4))
    assert_close(tritorch.gather(t, 0, tritorch.tensor(idx0)), np.take_along_axis(a, idx0, 0), F32)
    src = rng.standard_normal((3, 2)).astype(np.float32)
    uniq = tritorch.tensor(np.stack([rng.permutation(4)[:2] for _ in range(3)]))  # no repeats: scatter is exact
    assert_close(t.scatter(1, uniq, tritorch.tensor(src)), _put(a, uniq.numpy(), src), F32)
    assert_close(t.scatter(1, uniq, 0.5), _put(a, uniq.numpy(), 0.5), F32)
    add = tritorch.zeros(5).scatter_add(0, tritorch.tensor([0, 0, 4, 1]), tritorch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert add.tolist() == [3.0, 4.0, 0.0, 0.0, 3.0]
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        t.gather(1, tritorch.zeros(3, 1))
    x, s = f64(rng, (3, 4)), f64(rng, (3, 2))
    assert gradcheck(lambda v: v.gather(1, ti), (x,))
    assert gradcheck(lambda v, w: v.scatter(1, uniq, w), (x, s))
    assert gradcheck(lambda v, w: v.scatter_add(1, ti, w), (x, s))


def _put(a, idx, value):
    out = a.copy()
    np.put_along_axis(out, idx, value, 1)
    return out


def test_index_select_take_along_dim(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    t = tritorch.tensor(a)
    idx = tritorch.tensor([3, 0, 3])
    assert_close(t.index_select(1, idx), a[:, [3, 0, 3]], F32)
    assert_close(tritorch.index_select(t, 0, tritorch.tensor([2])), a[[2]], F32)
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        t.index_select(0, tritorch.zeros(2, 2, dtype=I64))
    ind = rng.integers(0, 4, (3, 2))
    assert_close(tritorch.take_along_dim(t, tritorch.tensor(ind), dim=1), np.take_along_axis(a, ind, 1), F32)
    ind1 = rng.integers(0, 4, (1, 2))  # broadcast over the other dims, as PyTorch
    assert_close(t.take_along_dim(tritorch.tensor(ind1), 1), np.take_along_axis(a, np.broadcast_to(ind1, (3, 2)), 1),
                 F32)
    flat = rng.integers(0, 12, 5)
    assert_close(tritorch.take_along_dim(t, tritorch.tensor(flat)), a.reshape(-1)[flat], F32)
    assert_close(t.take(tritorch.tensor(flat)), a.reshape(-1)[flat], F32)
    x = f64(rng, (3, 4))
    assert gradcheck(lambda v: v.index_select(1, idx), (x,))
    assert gradcheck(lambda v: tritorch.take_along_dim(v, tritorch.tensor(ind), 1), (x,))


def test_nonzero_one_hot_index_put(rng):
    a = rng.integers(0, 2, (3, 4))
    t = tritorch.tensor(a)
    assert_close(t.nonzero(), np.argwhere(a), I64)
    assert [x.tolist() for x in t.nonzero(as_tuple=True)] == [x.tolist() for x in np.nonzero(a)]
    assert tritorch.one_hot(tritorch.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert tritorch.one_hot(tritorch.tensor([1, 3])).shape == (2, 4)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        tritorch.one_hot(tritorch.tensor([3]), 3)
    x = tritorch.zeros(4)
    x.index_put_((tritorch.tensor([0, 0, 2]),), tritorch.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert x.tolist() == [3.0, 0.0, 3.0, 0.0]
    y = tritorch.zeros(3).index_add(0, tritorch.tensor([0, 0, 2]), tritorch.ones(3), alpha=2)
    assert y.tolist() == [4.0, 0.0, 2.0]
