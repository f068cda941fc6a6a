"""Embedding and the functional odds and ends: pad, normalize, cosine_similarity, one_hot."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F
from tritorch.autograd import gradcheck


def _np(t):
    return t.detach().numpy()


def test_embedding_lookup_and_gradient_skips_padding_row():
    tritorch.manual_seed(0)
    e = nn.Embedding(5, 3, padding_idx=1)
    idx = tritorch.tensor([[0, 1, 4], [4, 4, 1]])
    out = e(idx)
    np.testing.assert_array_equal(_np(out), _np(e.weight)[_np(idx)])
    out.sum().backward()
    counts = np.bincount(_np(idx).reshape(-1), minlength=5).astype(np.float32)
    counts[1] = 0  # padding_idx: no gradient
    np.testing.assert_array_equal(_np(e.weight.grad), np.repeat(counts[:, None], 3, 1))
    w = tritorch.randn(5, 3, dtype=tritorch.float64, requires_grad=True)
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert repr(e) == "Embedding(5, 3, padding_idx=1)"
    e.weight.grad = None
    g = tritorch.ones(2, 3, 3)
    g[1, 2] = float("nan")                         # a NaN gradient at a padding position stays out of row 1
    e(idx).backward(g)
    assert not np.isnan(_np(e.weight.grad)).any() and (_np(e.weight.grad)[1] == 0).all()


def test_embedding_errors_from_pretrained_and_max_norm():
    e = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="index out of range in self"):
        e(tritorch.tensor([4]))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types: Long, Int"):
        e(tritorch.tensor([1.0]))
    w = tritorch.tensor([[3.0, 4.0], [0.3, 0.4]])
    p = nn.Embedding.from_pretrained(w, max_norm=1.0)
    assert not p.weight.requires_grad
    np.testing.assert_allclose(_np(p(tritorch.tensor([0, 1]))), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-5)


@pytest.mark.parametrize("mode,np_mode", [("constant", "constant"), ("reflect", "reflect"),
                                          ("replicate", "edge"), ("circular", "wrap")])
def test_pad_modes_match_numpy(mode, np_mode):
    x = tritorch.randn(2, 3, 4, 5, dtype=tritorch.float64, requires_grad=True)
    got = F.pad(x, (1, 2, 3, 0), mode=mode)
    np.testing.assert_array_equal(_np(got), np.pad(_np(x), ((0, 0), (0, 0), (3, 0), (1, 2)), mode=np_mode))
    assert gradcheck(lambda x: F.pad(x, (2, 1), mode=mode), (x,))


def test_constant_pad_value_and_crop():
    x = tritorch.arange(6.0).reshape(2, 3)
    assert F.pad(x, (1, 0), value=-1.0).tolist() == [[-1, 0, 1, 2], [-1, 3, 4, 5]]
    assert F.pad(x, (0, -1, -1, 0)).tolist() == [[3, 4]]
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1,))


def test_normalize_cosine_similarity_one_hot():
    tritorch.manual_seed(1)
    x = tritorch.randn(4, 3, dtype=tritorch.float64, requires_grad=True)
    y = tritorch.randn(4, 3, dtype=tritorch.float64)
    xn, yn = _np(x), _np(y)
    np.testing.assert_allclose(_np(F.normalize(x)), xn / np.linalg.norm(xn, axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(_np(F.normalize(x, p=1, dim=0)), xn / np.abs(xn).sum(0), rtol=1e-12)
    cos = (xn * yn).sum(1) / np.linalg.norm(xn, axis=1) / np.linalg.norm(yn, axis=1)
    np.testing.assert_allclose(_np(F.cosine_similarity(x, y)), cos, rtol=1e-12)
    assert gradcheck(lambda x: F.cosine_similarity(x, y), (x,))
    assert float(F.normalize(tritorch.zeros(1, 2)).abs().sum()) == 0  # eps guards the zero vector
    assert F.one_hot(tritorch.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]


def test_embedding_scale_grad_by_freq():
    w = tritorch.randn(4, 2, dtype=tritorch.float64, requires_grad=True)
    idx = tritorch.tensor([0, 0, 0, 2])
    F.embedding(idx, w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(_np(w.grad), [[1, 1], [0, 0], [1, 1], [0, 0]])  # 3 hits / 3, 1 hit / 1
