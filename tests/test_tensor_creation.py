"""Creation ops, random generation with Generator/manual_seed, and Tensor properties/conversions."""
import numpy as np
import pytest

import tritorch

F32, F64, I64 = tritorch.float32, tritorch.float64, tritorch.int64


def test_tensor_as_tensor_from_numpy(rng):
    a = rng.standard_normal((2, 3))
    t = tritorch.tensor(a)
    assert t.dtype is F64 and t.shape == (2, 3) and not np.shares_memory(t.numpy(), a)
    s = tritorch.from_numpy(a)
    assert np.shares_memory(s.numpy(), a)
    s[0, 0] = 7.0
    assert a[0, 0] == 7.0
    assert np.shares_memory(tritorch.as_tensor(a).numpy(), a)
    assert tritorch.as_tensor(a, dtype=F32).dtype is F32
    assert tritorch.as_tensor(t) is t
    with pytest.raises(TypeError, match="expected np.ndarray"):
        tritorch.from_numpy([1, 2])
    c = tritorch.tensor(t, dtype=F32)  # copies, as PyTorch (which also warns)
    assert c.dtype is F32 and not np.shares_memory(c.numpy(), t.numpy())
    assert tritorch.tensor(3).shape == () and tritorch.tensor([]).shape == (0,)
    assert tritorch.tensor([[1, 2], [3, 4]], dtype=F32).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError):
        tritorch.tensor([[1, 2], [3]])


@pytest.mark.parametrize("name,fill", [("zeros", 0), ("ones", 1)])
def test_constant_factories(name, fill):
    fn = getattr(tritorch, name)
    for size in [(2, 3), ((2, 3),), ([2, 3],), (0,), ()]:
        t = fn(*size)
        shape = size[0] if size and isinstance(size[0], (tuple, list)) else size
        assert t.shape == tuple(shape) and t.dtype is F32 and np.all(t.numpy() == fill)
    assert fn(2, dtype=I64).dtype is I64 and fn(2, requires_grad=True).requires_grad
    like = getattr(tritorch, name + "_like")(tritorch.zeros(3, dtype=F64))
    assert like.dtype is F64 and like.shape == (3,) and np.all(like.numpy() == fill)
    with pytest.raises(RuntimeError, match="Dimension size must be non-negative" if name == "zeros" else
                       "negative dimension"):  # PyTorch's words for each
        fn(-1)


def test_full_empty_and_likes():
    assert tritorch.full((2, 2), 3).dtype is I64 and tritorch.full((2,), 1.5).tolist() == [1.5, 1.5]
    assert tritorch.full((1,), True).dtype is tritorch.bool and tritorch.full((2,), 2, dtype=F32).dtype is F32
    t = tritorch.ones(2, 3, dtype=F64)
    assert tritorch.full_like(t, 7).tolist() == [[7.0] * 3] * 2 and tritorch.full_like(t, 7).dtype is F64
    assert tritorch.empty(2, 3).shape == (2, 3) and tritorch.empty_like(t).dtype is F64
    assert tritorch.rand_like(t).dtype is F64 and tritorch.randn_like(t, dtype=F32).dtype is F32
    assert t.new_zeros(2).dtype is F64 and t.new_ones((1, 2)).shape == (1, 2)
    assert t.new_full((2,), 4).tolist() == [4.0, 4.0] and t.new_tensor([1, 2]).dtype is F64


def test_arange_linspace_eye():
    np.testing.assert_array_equal(tritorch.arange(5).numpy(), np.arange(5))
    np.testing.assert_array_equal(tritorch.arange(2, 11, 3).numpy(), np.arange(2, 11, 3))
    np.testing.assert_array_equal(tritorch.arange(5, 0, -2).numpy(), np.arange(5, 0, -2))
    np.testing.assert_allclose(tritorch.arange(0, 1, 0.1).numpy(), np.arange(0, 1, 0.1, dtype=np.float32),
                               rtol=1e-6)
    assert tritorch.arange(0, 1, 0.1).shape == (10,) and tritorch.arange(3, dtype=F32).dtype is F32
    assert tritorch.arange(0).shape == (0,)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        tritorch.arange(0, 3, 0)
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        tritorch.arange(0, 3, -1)
    np.testing.assert_allclose(tritorch.linspace(-1, 1, 5).numpy(), np.linspace(-1, 1, 5), rtol=1e-6)
    assert tritorch.linspace(0, 1, 1).tolist() == [0.0] and tritorch.linspace(0, 1, 0).shape == (0,)
    np.testing.assert_array_equal(tritorch.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(tritorch.eye(2, 4, dtype=I64).numpy(), np.eye(2, 4))


def test_random_distributions_and_ranges():
    u = tritorch.rand(4000)
    assert u.dtype is F32 and 0 <= u.min().item() and u.max().item() < 1 and abs(u.mean().item() - 0.5) < 0.03
    n = tritorch.randn(4000, dtype=F64)
    assert n.dtype is F64 and abs(n.mean().item()) < 0.1 and abs(n.std().item() - 1) < 0.1
    r = tritorch.randint(3, 7, (1000,))
    assert r.dtype is I64 and r.min().item() == 3 and r.max().item() == 6
    assert tritorch.randint(5, (2, 2)).shape == (2, 2) and tritorch.randint(0, 2, (3,), dtype=F32).dtype is F32
    p = tritorch.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype is I64
    with pytest.raises(RuntimeError, match="not implemented for 'int64'"):
        tritorch.rand(2, dtype=I64)
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        tritorch.randint(5, 5, (2,))


def test_manual_seed_reproduces_every_random_op():
    def draw():
        t = tritorch.empty(3)
        return [tritorch.rand(3).tolist(), tritorch.randn(2, 2).tolist(), tritorch.randint(0, 100, (4,)).tolist(),
                tritorch.randperm(6).tolist(), t.uniform_(-1, 1).tolist(), t.normal_(2, 0.5).tolist(),
                tritorch.rand_like(t).tolist()]
    tritorch.manual_seed(1234)
    first = draw()
    tritorch.manual_seed(1234)
    assert draw() == first
    tritorch.manual_seed(4321)
    assert draw() != first
    assert tritorch.initial_seed() == 4321


def test_generator_objects_are_independent_streams():
    g1, g2 = tritorch.Generator().manual_seed(7), tritorch.Generator()
    g2.manual_seed(7)
    a = tritorch.rand(5, generator=g1)
    tritorch.manual_seed(0)
    tritorch.rand(5)  # the default generator does not disturb g2
    assert tritorch.rand(5, generator=g2).tolist() == a.tolist()
    for fn in (lambda g: tritorch.randn(3, generator=g), lambda g: tritorch.randint(0, 9, (3,), generator=g),
               lambda g: tritorch.randperm(5, generator=g), lambda g: tritorch.empty(3).normal_(generator=g),
               lambda g: tritorch.rand_like(tritorch.empty(2), generator=g)):
        assert fn(tritorch.Generator().manual_seed(3)).tolist() == fn(tritorch.Generator().manual_seed(3)).tolist()
    state = g1.get_state()
    x = tritorch.rand(3, generator=g1)
    g1.set_state(state)
    assert tritorch.rand(3, generator=g1).tolist() == x.tolist()
    s = tritorch.get_rng_state()
    y = tritorch.randn(2)
    tritorch.set_rng_state(s)
    assert tritorch.randn(2).tolist() == y.tolist()
    assert g1.initial_seed() == 7 and g1.device == tritorch.device("cpu")


def test_properties(rng):
    t = tritorch.tensor(rng.standard_normal((2, 3, 4)), dtype=F32)
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tritorch.Size) and t.shape.numel() == 24
    assert repr(t.shape) == "tritorch.Size([2, 3, 4])" and isinstance(t.shape[1:], tritorch.Size)
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.dim() == 3 == t.ndim and t.numel() == 24 and t.dtype is F32
    assert t.device == tritorch.device("cpu") and str(t.device) == "cpu" and t.device == "cpu"
    assert t.itemsize == 4 and t.element_size() == 4 and t.nbytes == 96
    assert tritorch.zeros(1, dtype=tritorch.float16).element_size() == 2 and tritorch.zeros(1, dtype=I64).itemsize == 8
    assert t.is_leaf and t.grad is None and t.grad_fn is None and not t.requires_grad
    assert t.T.shape == (4, 3, 2) and t.mT.shape == (2, 4, 3) and t.stride() == (12, 4, 1)
    assert t.is_floating_point() and not tritorch.tensor([1]).is_floating_point()
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(3)


def test_conversions(rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    t = tritorch.tensor(a)
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(np.asarray(t), a)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert t.tolist() == a.tolist() and tritorch.tensor(2.5).item() == 2.5 and isinstance(tritorch.tensor(3).item(), int)
    assert tritorch.tensor([1.5], dtype=tritorch.bfloat16).item() == 1.5
    assert tritorch.tensor([0.5], dtype=tritorch.float16).tolist() == [0.5]
    assert t.cpu() is t and t.to("cpu") is t
    assert len(t) == 2 and [r.shape for r in t] == [(3,), (3,)]
    assert bool(tritorch.tensor([1])) and not bool(tritorch.tensor(0.0))
    assert float(tritorch.tensor([2.5])) == 2.5 and int(tritorch.tensor(3.7)) == 3
    assert [10, 20, 30][tritorch.tensor(1)] == 20
    assert f"{tritorch.tensor(2.345):.2f}" == "2.35" and f"{tritorch.tensor(3):>3}" == "  3"
    assert f"{t}" == str(t)
    s = {t, tritorch.tensor(a)}
    assert len(s) == 2 and t in {t: 1}
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad. Use "
                                           "tensor.detach\\(\\).numpy\\(\\) instead."):
        tritorch.ones(1, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted to Scalar"):
        t.item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(t)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tritorch.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(tritorch.tensor(1.0))
    with pytest.raises(TypeError):
        [1, 2][tritorch.tensor(1.0)]


def test_pickle_and_deepcopy_keep_values():
    import copy
    import pickle
    t = tritorch.tensor([[1.0, 2.0]], requires_grad=True)
    p = pickle.loads(pickle.dumps(t))
    assert p.tolist() == t.tolist() and p.requires_grad and p.dtype is F32
    d = copy.deepcopy(t)
    assert d.tolist() == t.tolist() and d.requires_grad and not np.shares_memory(d.detach().numpy(),
                                                                                   t.detach().numpy())
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(t * 2)


def test_devices():
    d = tritorch.device("cuda:1")
    assert d.type == "cuda" and d.index == 1 and str(d) == "cuda:1" and repr(d) == "device(type='cuda', index=1)"
    assert tritorch.device("cuda") == tritorch.device("cuda", 0) and repr(tritorch.device("cpu")) == "device(type='cpu')"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type"):
        tritorch.device("tpu")


def test_random_fill_ranges():
    x = tritorch.empty(2000).random_()
    assert 0 <= x.min().item() and x.max().item() <= 2 ** 24 and x.max().item() > 2 ** 20
    assert tritorch.empty(50, dtype=tritorch.int64).random_().min().item() >= 0
    b = tritorch.empty(200, dtype=tritorch.bool).random_()
    assert b.any().item() and (~b).any().item()
    assert set(tritorch.empty(300, dtype=tritorch.int64).random_(3).tolist()) == {0, 1, 2}
    assert set(tritorch.empty(300, dtype=tritorch.int64).random_(5, 7).tolist()) == {5, 6}
