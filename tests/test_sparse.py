"""Sparse COO tensors (CPU): construction, coalescing, the few ops tritorch implements, clear errors
for the rest, and sparse embedding gradients. Expected values are worked out by hand here; the
PyTorch oracle comparisons live in tests/optim/test_sparse_adam.py."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F


def _coo(idx, vals, size):
    return tritorch.sparse_coo_tensor(idx, vals, size)


def test_construction_and_metadata():
    s = _coo([[0, 2, 0]], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], (3, 2))
    assert isinstance(s, tritorch.Tensor) and s.is_sparse and not tritorch.ones(1).is_sparse
    assert s.layout is tritorch.sparse_coo and tritorch.ones(1).layout is tritorch.strided
    assert repr(tritorch.sparse_coo) == "torch.sparse_coo" and repr(tritorch.strided) == "torch.strided"
    assert s.shape == (3, 2) and s.size() == (3, 2) and s.size(-1) == 2 and s.dim() == 2 and s.numel() == 6
    assert s.dtype == tritorch.float32 and s.device.type == "cpu"
    assert (s.sparse_dim(), s.dense_dim(), s._nnz()) == (1, 1, 3) and not s.is_coalesced()
    assert s._indices().tolist() == [[0, 2, 0]] and s._values().shape == (3, 2)
    x = tritorch.ones(2, 3)
    assert (x.sparse_dim(), x.dense_dim()) == (0, 2)
    with pytest.raises(RuntimeError, match="values expected sparse tensor layout but got Strided"):
        x.values()
    with pytest.raises(RuntimeError, match="coalesce expected sparse coordinate tensor layout but got Strided"):
        x.coalesce()
    assert _coo([[1, 0]], [1.0, 2.0], None).shape == (2,)              # size inferred
    assert _coo([[1]], [1.0], (3,)).is_coalesced()                     # nnz < 2: coalesced (as PyTorch)
    d = tritorch.sparse_coo_tensor([[0]], [1], (2,), dtype=tritorch.float64, requires_grad=True)
    assert d.dtype == tritorch.float64 and d.requires_grad and d.is_leaf


def test_coalesce_sums_duplicates_in_index_order():
    s = _coo([[2, 0, 2, 1], [1, 0, 1, 1]], [1.0, 2.0, 3.0, 4.0], (3, 2))
    with pytest.raises(RuntimeError, match="Cannot get indices on an uncoalesced tensor"):
        s.indices()
    with pytest.raises(RuntimeError, match="Cannot get values on an uncoalesced tensor"):
        s.values()
    c = s.coalesce()
    assert c.is_coalesced() and c.coalesce() is c
    assert c.indices().tolist() == [[0, 1, 2], [0, 1, 1]] and c.values().tolist() == [2.0, 4.0, 4.0]
    assert s.to_dense().tolist() == [[2.0, 0.0], [0.0, 4.0], [0.0, 4.0]] == c.to_dense().tolist()


def test_to_sparse_round_trip_and_hybrid():
    x = tritorch.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, 0.0]])
    s = x.to_sparse()
    assert s.is_coalesced() and s.indices().tolist() == [[0, 1], [1, 0]] and s.values().tolist() == [1.5, 2.0]
    assert np.array_equal(s.to_dense().numpy(), x.numpy()) and s.to_sparse() is s
    h = x.to_sparse(1)                                                 # rows sparse, columns dense
    assert (h.sparse_dim(), h.dense_dim()) == (1, 1) and h.values().tolist() == [[0.0, 1.5, 0.0], [2.0, 0.0, 0.0]]
    assert tritorch.zeros(2, 2).to_sparse()._nnz() == 0


def test_repr_like_pytorch():
    s = _coo([[0, 4, 4]], [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], (6, 2))
    assert repr(s) == ("tensor(indices=tensor([[0, 4, 4]]),\n"
                       "       values=tensor([[1., 1.],\n"
                       "                      [2., 2.],\n"
                       "                      [3., 3.]]),\n"
                       "       size=(6, 2), nnz=3, layout=torch.sparse_coo)")
    e = tritorch.sparse_coo_tensor(tritorch.zeros(1, 0, dtype=tritorch.int64), tritorch.zeros(0, 3), (2, 3))
    assert repr(e) == ("tensor(indices=tensor([], size=(1, 0)),\n       values=tensor([], size=(0, 3)),\n"
                       "       size=(2, 3), nnz=0, layout=torch.sparse_coo)")


def test_invalid_indices_raise():
    with pytest.raises(RuntimeError, match="for dim 0, size is 3 but found index 5"):
        _coo([[0, 5]], [1.0, 2.0], (3,))
    with pytest.raises(RuntimeError, match="found negative index -1 for dim 0"):
        _coo([[0, -1]], [1.0, 2.0], (3,))
    with pytest.raises(RuntimeError, match="same nnz"):
        _coo([[0, 1]], [1.0], (3,))


def test_add_follows_pytorch_merge_order():
    x, y = _coo([[2, 0]], [1.0, 2.0], (3,)), _coo([[1]], [5.0], (3,))
    z = x + y                                   # PyTorch's CPU merge: [1, 2, 0], uncoalesced
    assert z._indices().tolist() == [[1, 2, 0]] and z._values().tolist() == [5.0, 1.0, 2.0] and not z.is_coalesced()
    a = _coo([[0, 4, 4]], [1.0, 1.0, 1.0], (5,))
    b = a + a * 2                               # equal index lists add position by position
    assert b._indices().tolist() == [[0, 4, 4]] and b._values().tolist() == [3.0, 3.0, 3.0]
    c = (x - y).to_dense()
    assert c.tolist() == [2.0, -5.0, 1.0]
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        x + tritorch.ones(3)
    with pytest.raises(RuntimeError, match="to have same size"):
        x + _coo([[0]], [1.0], (4,))


def test_dense_plus_sparse_scalar_mul_sum_and_mm():
    s = _coo([[0, 1, 1]], [1.0, 2.0, 3.0], (3,))
    assert (tritorch.ones(3) + s).tolist() == [2.0, 6.0, 1.0] and (tritorch.ones(3) - s).tolist() == [0.0, -4.0, 1.0]
    assert (s * 2)._values().tolist() == [2.0, 4.0, 6.0] and (3 * s)._values().tolist() == [3.0, 6.0, 9.0]
    assert (s / 2)._values().tolist() == [0.5, 1.0, 1.5] and (-s)._values().tolist() == [-1.0, -2.0, -3.0]
    assert (_coo([[0]], [1], (2,)) * 2.5).dtype == tritorch.float32
    assert tritorch.sparse.sum(s).item() == 6.0 and s.sum().item() == 6.0
    m = _coo([[0, 1, 1], [1, 0, 1]], [1.0, 2.0, 3.0], (2, 2))
    assert tritorch.sparse.sum(m, 0).to_dense().tolist() == [2.0, 4.0]
    d = tritorch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = tritorch.sparse.mm(m, d)
    assert out.tolist() == [[3.0, 4.0], [11.0, 16.0]] and tritorch.spmm(m, d).tolist() == out.tolist()
    assert (m @ d).tolist() == out.tolist()
    out.sum().backward()                        # d(sum(S @ D))/dD = S^T @ ones
    assert d.grad.tolist() == [[2.0, 2.0], [4.0, 4.0]]
    assert tritorch.spmm(tritorch.eye(2), d).tolist() == d.tolist()   # dense input: plain mm
    assert tritorch.sparse.mm(tritorch.eye(2), d).tolist() == d.tolist()
    assert m.t().to_dense().tolist() == [[0.0, 2.0], [1.0, 3.0]] and not m.t().is_coalesced()
    assert isinstance(m.layout, tritorch.layout) and tritorch.eye(2).to_sparse_coo().is_sparse


def test_sparse_mask_zero_clone_to():
    s = _coo([[2, 0]], [1.0, 1.0], (3,))
    assert tritorch.tensor([5.0, 6.0, 7.0]).sparse_mask(s)._values().tolist() == [7.0, 5.0]
    c = s.clone()
    c.zero_()
    assert c._nnz() == 0 and c.is_coalesced() and s._nnz() == 2
    assert s.to(tritorch.float64).dtype == tritorch.float64 and s.to("cpu") is s and s.cpu() is s
    assert s.double().is_sparse and s.double().dtype == tritorch.float64 and s.long()._values().tolist() == [1, 1]


@pytest.mark.parametrize("call, op", [
    (lambda s: s.exp(), "exp"), (lambda s: tritorch.exp(s), "exp"), (lambda s: s.norm(), "norm"),
    (lambda s: F.relu(s), "relu"), (lambda s: s.view(3), "view"), (lambda s: tritorch.cat([s, s]), "cat"),
    (lambda s: tritorch.ones(3) * s, "__mul__"), (lambda s: s.numpy(), "numpy"),
])
def test_unimplemented_dense_ops_raise_naming_the_op(call, op):
    s = _coo([[0, 1]], [1.0, 2.0], (3,))
    with pytest.raises(NotImplementedError, match=f"Could not run '{op}' with arguments from the 'SparseCPU'"):
        call(s)


def test_no_autograd_through_sparse_and_cpu_only():
    s = tritorch.sparse_coo_tensor([[0]], [1.0], (2,), requires_grad=True)
    with pytest.raises(NotImplementedError, match="does not differentiate through sparse tensors"):
        s.to_dense()
    with tritorch.no_grad():
        assert s.to_dense().tolist() == [1.0, 0.0]
    with pytest.raises(NotImplementedError, match="sparse COO tensors are CPU-only"):
        tritorch.sparse_coo_tensor([[0]], [1.0], (2,), device="cuda")
    with pytest.raises(NotImplementedError, match="sparse COO tensors are CPU-only"):
        s.to("cuda")


def test_embedding_sparse_grad_layout_and_accumulation():
    w = tritorch.arange(12.0).reshape(6, 2)
    emb = nn.Embedding(6, 2, padding_idx=1, sparse=True, _weight=w)
    emb(tritorch.tensor([[0, 1, 4], [4, 2, 0]])).sum().backward()
    g = emb.weight.grad
    assert g.is_sparse and not g.is_coalesced() and g.shape == (6, 2)
    assert g._indices().tolist() == [[0, 4, 4, 2, 0]] and g._values().tolist() == [[1.0, 1.0]] * 5
    (emb(tritorch.tensor([[0, 1, 4], [4, 2, 0]])) * 2).sum().backward()   # second pass: added in place
    assert g is emb.weight.grad and g._values().tolist() == [[3.0, 3.0]] * 5
    assert g.coalesce().indices().tolist() == [[0, 2, 4]] and g.coalesce().values().tolist() == [[6.0] * 2,
                                                                                                  [3.0] * 2, [6.0] * 2]
    emb.zero_grad()
    assert emb.weight.grad is None
    (emb(tritorch.tensor([3])).sum() + emb(tritorch.tensor([5, 3])).sum()).backward()   # two uses, one graph
    assert emb.weight.grad.coalesce().to_dense().tolist() == [[0.0] * 2] * 3 + [[2.0] * 2, [0.0] * 2, [1.0] * 2]
    emb.weight.grad = None
    emb(tritorch.tensor([1, 1])).sum().backward()                         # all padding: empty grad
    assert emb.weight.grad._nnz() == 0 and emb.weight.grad.is_coalesced()


def test_embedding_sparse_errors_and_tied_dense_use():
    emb = nn.Embedding(4, 2, sparse=True, scale_grad_by_freq=True)
    out = emb(tritorch.tensor([1, 1]))
    with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse gradients"):
        out.sum().backward()
    emb = nn.Embedding(4, 2, sparse=True)
    (emb(tritorch.tensor([1, 2, 2])).sum() + (emb.weight * 2).sum()).backward()   # dense + sparse: dense grad
    assert not emb.weight.grad.is_sparse
    assert emb.weight.grad.tolist() == [[2.0] * 2, [3.0] * 2, [4.0] * 2, [2.0] * 2]
    with pytest.raises(RuntimeError, match="cannot accumulate a sparse COO gradient into a dense .grad"):
        emb(tritorch.tensor([1])).sum().backward()


def test_embedding_bag_sparse_grad():
    bag = nn.EmbeddingBag(6, 2, mode="mean", sparse=True, padding_idx=1)
    out = bag(tritorch.tensor([1, 2, 4, 4, 3, 1]), tritorch.tensor([0, 2, 2]))
    out.sum().backward()
    g = bag.weight.grad
    assert g._indices().tolist() == [[2, 4, 4, 3]]
    np.testing.assert_allclose(g._values().numpy(), [[1.0] * 2] + [[1 / 3] * 2] * 3, rtol=1e-6)
    with pytest.raises(ValueError, match="max mode does not support sparse weights"):
        nn.EmbeddingBag(6, 2, mode="max", sparse=True)(tritorch.tensor([[1, 2]]))


def test_optimizers_with_sparse_grads():
    def sparse_grad_param():
        emb = nn.Embedding(4, 2, sparse=True, _weight=tritorch.ones(4, 2))
        emb(tritorch.tensor([1, 3, 1])).sum().backward()
        return emb.weight
    p = sparse_grad_param()
    tritorch.optim.SGD([p], lr=0.5).step()                   # rows 1 (twice) and 3 move
    assert p.detach().tolist() == [[1.0] * 2, [0.0] * 2, [1.0] * 2, [0.5] * 2]
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        tritorch.optim.SGD([sparse_grad_param()], lr=0.5, weight_decay=0.1).step()
    with pytest.raises(RuntimeError, match="weight_decay option is not compatible with sparse gradients"):
        tritorch.optim.Adagrad([sparse_grad_param()], weight_decay=0.1).step()
    with pytest.raises(RuntimeError, match="Adam does not support sparse gradients, please consider SparseAdam"):
        tritorch.optim.AdamW([sparse_grad_param()]).step()
    with pytest.raises(RuntimeError, match="^RMSprop does not support sparse gradients$"):
        tritorch.optim.RMSprop([sparse_grad_param()]).step()
    q = tritorch.nn.Parameter(tritorch.ones(2))
    q.grad = tritorch.ones(2)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please consider Adam"):
        tritorch.optim.SparseAdam([q]).step()
    with pytest.raises(ValueError, match="Invalid learning rate: 0"):
        tritorch.optim.SparseAdam([q], lr=0)
    with pytest.raises(ValueError, match=r"Sparse params at indices \[\[0, 0\]\]: SparseAdam requires dense"):
        tritorch.optim.SparseAdam([_coo([[0]], [1.0], (2,))])


def test_sparse_adam_updates_only_the_given_rows():
    emb = nn.Embedding(4, 2, sparse=True, _weight=tritorch.zeros(4, 2))
    opt = tritorch.optim.SparseAdam(emb.parameters(), lr=0.1)
    emb(tritorch.tensor([2, 2])).sum().backward()
    opt.step()
    # first step: m = 0.1 g, v = 0.001 g^2, bias-corrected m/sqrt(v) = sign(g): row 2 moves by -lr
    np.testing.assert_allclose(emb.weight.detach().numpy(), [[0, 0], [0, 0], [-0.1, -0.1], [0, 0]], atol=1e-6)
    state = opt.state_dict()["state"][0]
    assert state["step"] == 1 and sorted(state) == ["exp_avg", "exp_avg_sq", "step"]
    assert state["exp_avg"].tolist()[2] == pytest.approx([0.2, 0.2]) and state["exp_avg"].tolist()[0] == [0.0, 0.0]
    opt.zero_grad(set_to_none=False)                         # an empty sparse grad: skipped, step still counts
    assert emb.weight.grad._nnz() == 0
    opt.step()
    assert opt.state[emb.weight]["step"] == 2
    np.testing.assert_allclose(emb.weight.detach().numpy()[2], [-0.1, -0.1], atol=1e-6)


def test_clip_grad_norm_raises_on_sparse_as_pytorch():
    emb = nn.Embedding(4, 2, sparse=True)
    emb(tritorch.tensor([1])).sum().backward()
    with pytest.raises(NotImplementedError, match="SparseCPU"):
        nn.utils.clip_grad_norm_(emb.parameters(), 1.0)


def test_cuda_raises_one_clear_line():
    w = tritorch.randn(4, 2, device="cuda", requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"embedding\(sparse=True\): .* CPU-only, weight is on cuda"):
        F.embedding(tritorch.tensor([1], device="cuda"), w, sparse=True)
    with pytest.raises(NotImplementedError, match="Tensor.to_sparse: tritorch's sparse COO tensors are CPU-only"):
        tritorch.ones(2, device="cuda").to_sparse()
    s = _coo([[0]], [1.0], (2,))
    with pytest.raises(NotImplementedError, match="Tensor.cuda: tritorch's sparse COO tensors are CPU-only"):
        s.cuda()
    with pytest.raises(NotImplementedError, match="CPU-only"):
        tritorch.ones(2, device="cuda") + s
