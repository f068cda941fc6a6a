"""utils.checkpoint, utils._pytree, vmap, select/tile/index_fill/addcmul/dist/fill against PyTorch;
nested tensors and unimplemented sparse ops raise clearly; nn.attention is the SDPBackend module after `import tritorch`."""
import collections

import numpy as np
import pytest

import tritorch


def _both(fn, rng, *shapes, grad=True):
    """fn(lib, *tensors) for tritorch and PyTorch on the same fresh inputs: (values, input grads) of each."""
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    out = []
    for lib in (tritorch, torch):
        xs = [lib.tensor(a, requires_grad=grad) for a in arrays]
        y = fn(lib, *xs)
        if grad:
            (y * lib.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(tuple(y.shape)))).sum().backward()
        out.append((y.detach().numpy(), [x.grad.numpy() if grad else None for x in xs]))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-5, atol=1e-5)
    for a, b in zip(out[0][1], out[1][1]):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fn, shapes", [
    (lambda lib, x: x.select(1, -2) * 2, [(3, 5, 2)]),
    (lambda lib, x: lib.select(x, 0, 1), [(4, 3)]),
    (lambda lib, x: x.tile((2, 1, 3)), [(3, 2)]),
    (lambda lib, x: lib.tile(x, (2,)), [(2, 3)]),
    (lambda lib, x: x.index_fill(1, lib.tensor([0, 3]), -1.5), [(2, 5)]),
    (lambda lib, x, a, b: lib.addcmul(x, a, b, value=0.3), [(3, 4), (3, 4), (1, 4)]),
    (lambda lib, x, y: lib.dist(x, y).reshape(1), [(3, 4), (4,)]),
    (lambda lib, x, y: lib.dist(x, y, p=1).reshape(1), [(5,), (5,)]),
    (lambda lib, x: lib.vmap(lambda r: (r * r).sum(0), in_dims=1)(x), [(3, 6)]),
    (lambda lib, x, w: lib.vmap(lambda r, m: m @ r, in_dims=(0, None), out_dims=1)(x, w), [(4, 3), (2, 3)]),
])
def test_values_and_gradients_match_pytorch(rng, fn, shapes):
    _both(fn, rng, *shapes)


def test_in_place_forms_and_errors_match_pytorch(rng):
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((3, 4)).astype(np.float32)
    got = []
    for lib in (tritorch, torch):
        x = lib.tensor(a)
        x.index_fill_(0, lib.tensor(2), 7.0)
        x.addcmul_(x, x, value=-0.5)
        got.append((x.numpy(), lib.fill(x, 2.5).numpy(), lib.tile(x, (2, 2)).shape))
        with pytest.raises(IndexError, match=r"select\(\): index 4 out of range for tensor of size \[3, 4\] at "
                                             r"dimension 0"):
            x.select(0, 4)
    np.testing.assert_allclose(got[0][0], got[1][0], rtol=1e-6)
    np.testing.assert_array_equal(got[0][1], got[1][1])
    assert tuple(got[0][2]) == tuple(got[1][2])


def test_checkpoint_gives_the_same_values_grads_and_warnings(rng):
    torch = pytest.importorskip("torch")
    w = rng.standard_normal((3, 3)).astype(np.float32)
    xv = rng.standard_normal((2, 3)).astype(np.float32)
    res = []
    for lib in (tritorch, torch):
        from importlib import import_module
        cp = import_module(f"{lib.__name__}.utils.checkpoint")
        lin = lib.nn.Linear(3, 3)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(w))
            lin.bias.zero_()
        x = lib.tensor(xv, requires_grad=True)
        y = cp.checkpoint(lambda t: lin(t).tanh(), x, use_reentrant=False)
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
            z = cp.checkpoint(lin, y)
        seq = lib.nn.Sequential(lib.nn.ReLU(), lin, lib.nn.Tanh(), lin)
        s = cp.checkpoint_sequential(seq, 2, z, use_reentrant=True)
        s.sum().backward()
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            plain = cp.checkpoint(lin, lib.tensor(xv), use_reentrant=True)
        res.append((s.detach().numpy(), x.grad.numpy(), lin.weight.grad.numpy(), plain.requires_grad))
    for a, b in zip(res[0][:3], res[1][:3]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert res[0][3] is res[1][3] is False


def test_pytree_matches_pytorch():
    torch = pytest.importorskip("torch")
    import torch.utils._pytree as theirs

    from tritorch.utils import _pytree as ours
    Point = collections.namedtuple("Point", "x y")
    tree = {"b": 1, "a": (2, [3, None]), "c": collections.OrderedDict(z=Point(4, 5)),
            "d": collections.defaultdict(int, k=[6])}
    leaves, spec = ours.tree_flatten(tree)
    assert leaves == theirs.tree_flatten(tree)[0] == [1, 2, 3, None, 4, 5, 6]
    back = ours.tree_unflatten([v * 10 if v is not None else None for v in leaves], spec)
    assert back == theirs.tree_map(lambda v: v * 10 if v is not None else None, tree)
    assert type(back["c"]["z"]) is Point and isinstance(back["d"], collections.defaultdict)
    assert ours.tree_map(lambda a, b: a + b, [1, (2,)], [10, (20,)]) == [11, (22,)]
    with pytest.raises(ValueError):
        ours.tree_unflatten([1], spec)
    assert ours.tree_leaves([1, [2]], is_leaf=lambda n: n == [2]) == [1, [2]]


def test_vmap_errors():
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        tritorch.vmap(lambda a, b: a + b)(tritorch.ones(2), tritorch.ones(3))
    with pytest.raises(ValueError, match="in_dims is not compatible"):
        tritorch.vmap(lambda a, b: a + b, in_dims=(0,))(tritorch.ones(2), tritorch.ones(2))


@pytest.mark.parametrize("call, says", [
    (lambda: tritorch.ones(2, 2).to_sparse().exp(), "Could not run 'exp' with arguments from the 'SparseCPU'"),
    (lambda: tritorch.ones(2, 2).to_sparse(layout="sparse_csr"), "only layout=torch.sparse_coo"),
    (lambda: tritorch.nested.nested_tensor([tritorch.ones(2), tritorch.ones(3)], layout=tritorch.jagged),
     "nested_tensor: tritorch does not implement nested"),
])
def test_sparse_and_nested_raise_clearly(call, says):
    with pytest.raises(NotImplementedError, match=says):
        call()
    x = tritorch.ones(2)
    assert x.to_dense() is x and repr(tritorch.jagged) == "torch.jagged"


def test_nn_attention_is_the_sdpa_module():
    assert tritorch.nn.attention.SDPBackend.EFFICIENT_ATTENTION == 2
    assert tritorch.nn.MultiheadAttention.__name__ == "MultiheadAttention"


def test_windows_sums_runs_and_aliases_match_pytorch(rng):
    torch = pytest.importorskip("torch")
    y = rng.standard_normal((3, 5)).astype(np.float32)
    x = np.sort(rng.standard_normal(5)).astype(np.float32)
    runs = rng.integers(0, 3, size=11)
    for ours, theirs in [
        (tritorch.trapezoid(tritorch.tensor(y), tritorch.tensor(x)), torch.trapezoid(torch.tensor(y), torch.tensor(x))),
        (tritorch.trapezoid(tritorch.tensor(y), dx=0.5, dim=0), torch.trapezoid(torch.tensor(y), dx=0.5, dim=0)),
        (tritorch.hann_window(7), torch.hann_window(7)),
        (tritorch.hann_window(6, periodic=False), torch.hann_window(6, periodic=False)),
        (tritorch.hann_window(1), torch.hann_window(1)),
        (tritorch.tensor(y).arctan(), torch.tensor(y).arctan()),
        (tritorch.arcsin(tritorch.tensor(y) / 4), torch.arcsin(torch.tensor(y) / 4)),
    ]:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    got = tritorch.unique_consecutive(tritorch.tensor(runs), return_inverse=True, return_counts=True)
    want = torch.unique_consecutive(torch.tensor(runs), return_inverse=True, return_counts=True)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(NotImplementedError, match="only dim=None"):
        tritorch.unique_consecutive(tritorch.tensor(runs), dim=0)


def test_module_compile_and_dynamo_names():
    m = tritorch.nn.Linear(2, 1)
    before = m(tritorch.ones(1, 2))
    assert m.compile(mode="max-autotune") is None
    assert (m(tritorch.ones(1, 2)) == before).all()
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        m.compile(mode="fastest")
    tritorch._dynamo.reset()
    f = tritorch._dynamo.allow_in_graph(len)
    assert f is len


def test_outside_the_job_names_say_so():
    torch = pytest.importorskip("torch")
    assert tritorch.xpu.is_available() is torch.xpu.is_available() is False
    assert tritorch.xpu.device_count() == torch.xpu.device_count() == 0
    for lib in (tritorch, torch):
        with pytest.raises(AssertionError, match="Torch not compiled with XPU enabled"):
            lib.xpu.get_device_properties(0)
    with pytest.raises(NotImplementedError, match="cannot load compiled PyTorch extension"):
        tritorch.classes.load_library("ops.so")
    with pytest.raises(NotImplementedError, match="no float8 dtypes"):
        tritorch._scaled_mm(tritorch.ones(2, 2), tritorch.ones(2, 2), tritorch.tensor(1.0), tritorch.tensor(1.0))
    from tritorch.utils.mobile_optimizer import optimize_for_mobile
    with pytest.raises(NotImplementedError, match="no TorchScript"):
        optimize_for_mobile(tritorch.jit.script(tritorch.nn.Linear(2, 2)))
