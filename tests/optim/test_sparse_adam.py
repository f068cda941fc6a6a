"""Oracle: sparse embedding gradients, SparseAdam and the sparse paths of SGD/Adagrad against
PyTorch: the same model from the same weights, trained a few steps on the same ids."""
import numpy as np
import pytest

import tritorch

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


class _Model:
    """EmbeddingBag(sum) + Embedding (padding_idx 0) -> a small dense head; `lib` is torch or tritorch."""

    def __init__(self, lib, w_emb, w_bag, w_head):
        self.lib = lib
        self.emb = lib.nn.Embedding(*w_emb.shape, padding_idx=0, sparse=True, _weight=lib.tensor(w_emb))
        self.bag = lib.nn.EmbeddingBag(*w_bag.shape, mode="mean", sparse=True, _weight=lib.tensor(w_bag))
        self.head = lib.nn.Parameter(lib.tensor(w_head))

    def loss(self, ids, bag_ids, offsets):
        lib = self.lib
        h = self.emb(lib.tensor(ids)).sum(1) + self.bag(lib.tensor(bag_ids), lib.tensor(offsets))
        return (lib.tanh(h @ self.head) ** 2).mean()

    def sparse_params(self):
        return [self.emb.weight, self.bag.weight]


def _weights(rng):
    """Small weights, so that tanh is not saturated and the gradients are not rounding noise."""
    return tuple((0.3 * rng.standard_normal(shape)).astype(np.float32) for shape in ((11, 4), (7, 4), (4, 3)))


def _batches(rng, n):
    return [(rng.integers(0, 11, (3, 5)), rng.integers(0, 7, 9), np.array([0, 4, 4])) for _ in range(n)]


def test_sparse_grads_equal_pytorch():
    rng = np.random.default_rng(0)
    ws, (ids, bag_ids, offs) = _weights(rng), _batches(rng, 1)[0]
    ours, ref = _Model(tritorch, *ws), _Model(torch, *ws)
    for _ in range(2):                                  # two backward passes accumulate
        ours.loss(ids, bag_ids, offs).backward()
        ref.loss(ids, bag_ids, offs).backward()
    for p, q in zip(ours.sparse_params(), ref.sparse_params()):
        g, r = p.grad, q.grad
        assert g.is_sparse and g.is_coalesced() == r.is_coalesced()
        assert g._indices().tolist() == r._indices().tolist()         # the same uncoalesced layout
        np.testing.assert_allclose(g._values().numpy(), r._values().numpy(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(g.coalesce().values().numpy(), r.coalesce().values().numpy(), rtol=1e-5,
                                   atol=1e-7)
        np.testing.assert_allclose(g.to_dense().numpy(), r.to_dense().numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours.head.grad.numpy(), ref.head.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, kwargs", [
    ("SparseAdam", dict(lr=0.05)), ("SparseAdam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("SGD", dict(lr=0.3)), ("SGD", dict(lr=0.3, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.3, momentum=0.9, dampening=0.2, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
])
def test_training_matches_pytorch(name, kwargs):
    rng = np.random.default_rng(1)
    ws = _weights(rng)
    ours, ref = _Model(tritorch, *ws), _Model(torch, *ws)
    opt = getattr(tritorch.optim, name)(ours.sparse_params(), **kwargs)
    ref_opt = getattr(torch.optim, name)(ref.sparse_params(), **kwargs)
    head_opt, ref_head_opt = tritorch.optim.Adam([ours.head], lr=0.01), torch.optim.Adam([ref.head], lr=0.01)
    for ids, bag_ids, offs in _batches(rng, 6):
        for model, o, ho in ((ours, opt, head_opt), (ref, ref_opt, ref_head_opt)):
            o.zero_grad()
            ho.zero_grad()
            model.loss(ids, bag_ids, offs).backward()
            o.step()
            ho.step()
    for p, q in zip(ours.sparse_params() + [ours.head], ref.sparse_params() + [ref.head]):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=0, atol=2e-6)
    state, ref_state = opt.state_dict()["state"], ref_opt.state_dict()["state"]
    assert sorted(state.get(0, {})) == sorted(ref_state.get(0, {}))
    if name == "SparseAdam":
        assert state[0]["step"] == ref_state[0]["step"] == 6
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(state[1][key].numpy(), ref_state[1][key].numpy(), rtol=1e-5, atol=1e-7)
    if kwargs.get("momentum"):
        buf, ref_buf = state[0]["momentum_buffer"], ref_state[0]["momentum_buffer"]
        assert buf.is_sparse and buf._indices().tolist() == ref_buf._indices().tolist()


def test_errors_match_pytorch():
    def messages(lib, make):
        emb = lib.nn.Embedding(5, 2, sparse=True)
        emb(lib.tensor([1, 2])).sum().backward()
        try:
            make(lib)([emb.weight]).step()
        except RuntimeError as e:
            return str(e)
        return None
    for make in (lambda lib: lib.optim.Adam, lambda lib: lib.optim.AdamW, lambda lib: lib.optim.NAdam,
                 lambda lib: lib.optim.Adadelta, lambda lib: (lambda p: lib.optim.SGD(p, lr=1, weight_decay=1)),
                 lambda lib: (lambda p: lib.optim.Adagrad(p, weight_decay=1))):
        assert messages(tritorch, make) == messages(torch, make) is not None
    p, q = tritorch.nn.Parameter(tritorch.ones(2)), torch.nn.Parameter(torch.ones(2))
    p.grad, q.grad = tritorch.ones(2), torch.ones(2)
    with pytest.raises(RuntimeError) as ours:
        tritorch.optim.SparseAdam([p]).step()
    with pytest.raises(RuntimeError) as ref:
        torch.optim.SparseAdam([q]).step()
    assert str(ours.value) == str(ref.value)


def test_sparse_tensor_ops_match_pytorch():
    rng = np.random.default_rng(2)
    idx = np.stack([rng.integers(0, 4, 9), rng.integers(0, 3, 9)])
    vals = rng.standard_normal(9).astype(np.float32)
    s, r = tritorch.sparse_coo_tensor(idx, vals, (4, 3)), torch.sparse_coo_tensor(torch.tensor(idx), vals, (4, 3))
    assert repr(s) == repr(r)
    assert s.coalesce().indices().tolist() == r.coalesce().indices().tolist()
    np.testing.assert_allclose(s.coalesce().values().numpy(), r.coalesce().values().numpy(), rtol=1e-6)
    t, u = s + s.coalesce() * 0.5, r + r.coalesce() * 0.5
    assert t._indices().tolist() == u._indices().tolist() and t.is_coalesced() == u.is_coalesced()
    np.testing.assert_allclose(t._values().numpy(), u._values().numpy(), rtol=1e-6)
    d = rng.standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(tritorch.sparse.mm(s, tritorch.tensor(d)).numpy(),
                               torch.sparse.mm(r, torch.tensor(d)).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tritorch.sparse.sum(s, 1).to_dense().numpy(), torch.sparse.sum(r, 1).to_dense().numpy(),
                               rtol=1e-6)
    x = rng.standard_normal((3, 4)).astype(np.float32) * (rng.random((3, 4)) < 0.5)
    a, b = tritorch.tensor(x).to_sparse(), torch.tensor(x).to_sparse()
    assert repr(a) == repr(b)
    np.testing.assert_array_equal((tritorch.ones(3, 4) + a).numpy(), (torch.ones(3, 4) + b).numpy())


def test_grad_scaler_unscales_sparse_grads_as_pytorch():
    w = np.random.default_rng(3).standard_normal((5, 2)).astype(np.float32)
    found = []
    for lib in (tritorch, torch):
        emb = lib.nn.Embedding(5, 2, sparse=True, _weight=lib.tensor(w))
        opt = lib.optim.SparseAdam(emb.parameters(), lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=1024.0)
        for ids in ([1, 2, 1], [3, 1]):
            opt.zero_grad()
            scaler.scale((emb(lib.tensor(ids)) ** 2).sum()).backward()
            scaler.step(opt)
            scaler.update()
        found.append(emb.weight.detach().numpy())
    np.testing.assert_allclose(found[0], found[1], rtol=0, atol=1e-6)
