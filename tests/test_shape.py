"""Views and shape ops against numpy: memory sharing, contiguity, errors, and gradients."""
import numpy as np
import pytest

import tritorch
from tritorch.autograd import gradcheck
from tensor_cases import assert_close, f64, layouts

F32, I64 = tritorch.float32, tritorch.int64


def _shares_memory(a, b):
    return np.shares_memory(a.detach().numpy(), b.detach().numpy())


def test_view_reshape_share_memory_and_infer(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    t = tritorch.tensor(a)
    v = t.view(6, -1)
    assert v.shape == (6, 4) and _shares_memory(v, t)
    assert_close(t.reshape(4, 6), a.reshape(4, 6), F32)
    assert t.view((2, 12)).shape == (2, 12) and t.view_as(tritorch.zeros(24)).shape == (24,)
    v[0, 0] = 100.0
    assert t[0, 0, 0].item() == 100.0
    with pytest.raises(RuntimeError, match=r"shape '\[5, -1\]' is invalid for input of size 24"):
        t.view(5, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        t.view(-1, -1)


def test_view_of_non_contiguous_raises_reshape_copies(rng):
    t = tritorch.tensor(rng.standard_normal((3, 4)).astype(np.float32)).t()
    assert not t.is_contiguous()
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        t.view(12)
    r = t.reshape(12)
    assert_close(r, t.numpy().reshape(12), F32)
    assert not _shares_memory(r, t)
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (3, 1) and t.stride() == (1, 4)
    assert tritorch.zeros(2, 3).contiguous().is_contiguous()


def test_permute_transpose_t_T_mT(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    t = tritorch.tensor(a)
    assert_close(t.permute(2, 0, 1), a.transpose(2, 0, 1), F32)
    assert_close(t.permute((1, 2, 0)), a.transpose(1, 2, 0), F32)
    assert_close(t.transpose(0, -1), a.swapaxes(0, -1), F32)
    assert_close(t.mT, a.swapaxes(-1, -2), F32)
    assert_close(t.T, a.T, F32)
    m = tritorch.tensor(a[0])
    assert_close(m.t(), a[0].T, F32) and assert_close(tritorch.t(m), a[0].T, F32)
    assert tritorch.ones(3).t().shape == (3,) and tritorch.ones(3).T.shape == (3,)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        t.t()
    with pytest.raises(RuntimeError):
        t.permute(0, 1)
    assert_close(t.movedim(0, -1), np.moveaxis(a, 0, -1), F32)
    x = f64(rng, (2, 3, 4))
    assert gradcheck(lambda v: v.permute(1, 2, 0) * tritorch.arange(2.0, dtype=tritorch.float64), (x,))


def test_squeeze_unsqueeze_flatten_unflatten(rng):
    t = tritorch.zeros(1, 3, 1, 2)
    assert t.squeeze().shape == (3, 2)
    assert t.squeeze(0).shape == (3, 1, 2) and t.squeeze(1).shape == (1, 3, 1, 2)
    assert t.squeeze((0, 2)).shape == (3, 2) and t.squeeze(-2).shape == (1, 3, 2)
    assert t.unsqueeze(0).shape == (1, 1, 3, 1, 2) and t.unsqueeze(-1).shape == (1, 3, 1, 2, 1)
    assert tritorch.tensor(1.0).unsqueeze(0).shape == (1,)
    x = tritorch.zeros(2, 3, 4, 5)
    assert x.flatten().shape == (120,) and x.flatten(1).shape == (2, 60) and x.flatten(1, 2).shape == (2, 12, 5)
    assert tritorch.flatten(x, -2).shape == (2, 3, 20) and tritorch.tensor(2.0).flatten().shape == (1,)
    assert x.unflatten(1, (3, 1)).shape == (2, 3, 1, 4, 5) and x.unflatten(-1, (-1, 5)).shape == (2, 3, 4, 1, 5)
    with pytest.raises(RuntimeError, match="invalid"):
        x.unflatten(1, (2, 2))
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.unsqueeze(5)


def test_expand_and_errors(rng):
    a = rng.standard_normal((3, 1)).astype(np.float32)
    t = tritorch.tensor(a)
    e = t.expand(2, 3, 4)
    assert_close(e, np.broadcast_to(a, (2, 3, 4)), F32)
    assert e.stride() == (0, 1, 0) and _shares_memory(e, t)
    assert t.expand(-1, 5).shape == (3, 5) and t.expand_as(tritorch.zeros(3, 7)).shape == (3, 7)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(3\) "
                                           r"at non-singleton dimension 0"):
        t.expand(4, 4)
    with pytest.raises(RuntimeError, match="must be greater or equal to the number of dimensions"):
        t.expand(3)
    with pytest.raises(RuntimeError, match="isn't allowed in a leading, non-existing dimension"):
        t.expand(-1, 3, 1)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.add_(1)
    x = f64(rng, (3, 1))
    assert gradcheck(lambda v: v.expand(2, 3, 4), (x,))
    assert tritorch.broadcast_shapes((3, 1), (4,)) == (3, 4)
    p, q = tritorch.broadcast_tensors(tritorch.zeros(3, 1), tritorch.zeros(4))
    assert p.shape == q.shape == (3, 4)


def test_repeat_flip_roll(rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    for _, t in layouts(a):
        assert_close(t.repeat(2, 3), np.tile(a, (2, 3)), F32)
        assert_close(t.repeat(2, 1, 1), np.tile(a, (2, 1, 1)), F32)
        assert_close(t.flip(0), a[::-1], F32) and assert_close(t.flip((0, 1)), a[::-1, ::-1], F32)
        assert_close(t.roll(1, 1), np.roll(a, 1, 1), F32)
        assert_close(t.roll((1, -2), (0, 1)), np.roll(a, (1, -2), (0, 1)), F32)
        assert_close(t.roll(2), np.roll(a, 2), F32)
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims"):
        tritorch.tensor(a).repeat(2)
    x = f64(rng, (2, 3))
    assert gradcheck(lambda v: v.repeat(2, 2), (x,))
    assert gradcheck(lambda v: v.flip(1), (x,)) and gradcheck(lambda v: v.roll(1, 0), (x,))
    assert gradcheck(lambda v: v.roll(-2), (x,))


def test_cat_stack(rng):
    a, b = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    ta, tb = tritorch.tensor(a), tritorch.tensor(b)
    assert_close(tritorch.cat([ta, tb]), np.concatenate([a, b]), F32)
    assert_close(tritorch.cat((ta.t(), tb.t()), dim=1), np.concatenate([a.T, b.T], 1), F32)
    assert_close(tritorch.stack([ta, ta], 1), np.stack([a, a], 1), F32)
    assert_close(tritorch.stack([ta, ta], -1), np.stack([a, a], -1), F32)
    assert tritorch.cat([ta, tritorch.tensor([])]).shape == (2, 3)  # legacy: 1-d empty tensors are skipped
    assert tritorch.cat([tritorch.ones(2), tritorch.ones(1, dtype=I64)]).dtype is F32
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0. Expected size 3 but "
                                           "got size 2 for tensor number 1 in the list."):
        tritorch.cat([ta, tritorch.zeros(1, 2)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        tritorch.stack([ta, tb])
    with pytest.raises(ValueError, match="non-empty"):  # PyTorch 2.13: a ValueError
        tritorch.cat([])
    x, y = f64(rng, (2, 3)), f64(rng, (1, 3))
    assert gradcheck(lambda p, q: tritorch.cat([p, q, p]), (x, y))
    assert gradcheck(lambda p: tritorch.stack([p, p * 2], 2), (x,))


def test_split_chunk_narrow_unbind(rng):
    a = rng.standard_normal((5, 4)).astype(np.float32)
    t = tritorch.tensor(a)
    parts = t.split(2)
    assert [p.shape[0] for p in parts] == [2, 2, 1] and all(_shares_memory(p, t) for p in parts)
    assert_close(parts[2], a[4:], F32)
    assert [p.shape[1] for p in t.split([1, 3], dim=1)] == [1, 3]
    assert [p.shape[0] for p in t.chunk(2)] == [3, 2] and [p.shape[0] for p in t.chunk(5)] == [1] * 5
    assert [p.shape[0] for p in tritorch.chunk(tritorch.zeros(6), 4)] == [2, 2, 2]
    assert_close(t.narrow(1, 1, 2), a[:, 1:3], F32) and assert_close(t.narrow(0, -2, 2), a[3:], F32)
    rows = t.unbind(0)
    assert len(rows) == 5 and all(r.shape == (4,) for r in rows)
    assert [c.shape for c in tritorch.unbind(t, 1)] == [(5,)] * 4
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 5"):
        t.split([2, 2])
    with pytest.raises(RuntimeError, match="exceeds dimension size"):
        t.narrow(0, 4, 2)
    x = f64(rng, (5, 3))
    assert gradcheck(lambda v: v.split(2)[1] * v.chunk(3, 1)[2].sum(), (x,))
    assert gradcheck(lambda v: tritorch.stack(v.unbind(1)[::-1]), (x,))
    assert gradcheck(lambda v: v.split(2)[2], (x,)) and gradcheck(lambda v: v.narrow(1, 1, 2), (x,))


def test_tril_triu_diagonal(rng):
    a = rng.standard_normal((2, 4, 4)).astype(np.float32)
    t = tritorch.tensor(a)
    for k in (-1, 0, 2):
        assert_close(t.tril(k), np.tril(a, k), F32) and assert_close(tritorch.triu(t, k), np.triu(a, k), F32)
    assert_close(t[0].diagonal(), np.diagonal(a[0]), F32)
    assert_close(t.diagonal(1, 1, 2), np.diagonal(a, 1, 1, 2), F32)
    assert_close(tritorch.diag(t[0]), np.diag(a[0]), F32)
    assert_close(tritorch.diag(t[0, 0], 1), np.diag(a[0, 0], 1), F32)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        tritorch.ones(3).tril()
    x = f64(rng, (3, 3))
    assert gradcheck(lambda v: v.tril(-1) + v.triu(1) * 2, (x,))
    assert gradcheck(lambda v: v.diagonal() * 3, (x,))


def test_clone_of_view_is_contiguous_and_independent(rng):
    t = tritorch.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    c = t.t().clone()
    assert c.is_contiguous() and c.shape == (4, 3) and not _shares_memory(c, t)
    c[0, 0] = 42.0
    assert t[0, 0].item() != 42.0
    x = f64(rng, (3, 4))
    assert gradcheck(lambda v: v[:, ::2].clone() * 2, (x,))


def test_empty_and_zero_dim_shapes():
    e = tritorch.zeros(0, 3)
    assert e.view(3, 0).shape == (3, 0) and e.t().shape == (3, 0) and e.reshape(-1).shape == (0,)
    assert e.flatten().shape == (0,) and tritorch.cat([e, tritorch.ones(1, 3)]).shape == (1, 3)
    s = tritorch.tensor(5.0)
    assert s.reshape(1, 1).shape == (1, 1) and s.view(-1).shape == (1,) and s.expand(2, 2).tolist() == [[5.0] * 2] * 2
    assert s.squeeze().shape == () and s.t().shape == () and s.flip(0).item() == 5.0
