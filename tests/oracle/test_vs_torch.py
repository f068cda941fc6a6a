"""Optional oracle: the same expressions in tritorch and PyTorch give the same dtypes, values and
reprs. Skipped where torch is not installed; the rest of the suite stands without it."""
import numpy as np
import pytest

import tritorch

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def _pair(a, dtype):
    return tritorch.tensor(a, dtype=getattr(tritorch, dtype)), torch.tensor(a, dtype=getattr(torch, dtype))


@pytest.mark.parametrize("a", NAMES)
def test_promotion_table(a):
    for b in NAMES:
        want = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert tritorch.promote_types(getattr(tritorch, a), getattr(tritorch, b)).name == str(want)[6:]
        for scalar in (2, 2.5, True):
            x, y = _pair([1, 0], a)
            z = tritorch.tensor(1, dtype=getattr(tritorch, b))
            w = torch.tensor(1, dtype=getattr(torch, b))
            if a == "bool" and b == "bool":
                continue
            assert (x * scalar).dtype.name == str((y * scalar).dtype)[6:], (a, scalar)
            assert (x * z).dtype.name == str((y * w).dtype)[6:], (a, b)


INDICES = [(1,), (slice(None, None, 2), [0, 2]), ([0, 2], slice(None), [1, 3]), (Ellipsis, None, 1),
           (slice(None), [0, 1], slice(1, 3)), (1, [0, 2], [1, 3])]


@pytest.mark.parametrize("idx", INDICES, ids=str)
def test_indexing_results(idx):
    a = np.arange(60.0).reshape(3, 4, 5)
    assert np.array_equal(tritorch.tensor(a)[idx].numpy(), torch.tensor(a)[idx].numpy())


@pytest.mark.parametrize("expr", ["t.sum(1)", "t.mean((0, 2), keepdim=True)", "t.max(1).indices", "t.var(0)",
                                  "t.std(correction=0)", "t.logsumexp(2)", "t.cumsum(0)", "t.prod(2)",
                                  "(t > 0).sum()", "t.amax((1, 2))", "t.norm(dim=1)", "t.softmax(-1)",
                                  "t.sort(dim=1, stable=True).indices", "t.topk(2, largest=False).values",
                                  "(t.long() // 3)", "(t.long() % -3)", "t.count_nonzero(0)"])
def test_reductions_and_friends(expr):
    a = np.random.default_rng().standard_normal((3, 4, 5)) * 4
    got = eval(expr, {"t": tritorch.tensor(a)})
    want = eval(expr, {"t": torch.tensor(a)})
    assert got.dtype.name == str(want.dtype)[6:]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("values,dtype", [([[1.0, 2.0], [3.0, 4.0]], "float32"), ([1e-5, 1.0], "float32"),
                                          ([1.5, -2.25], "float16"), ([1, -20, 300], "int64"),
                                          ([True, False], "bool"), ([float("nan"), 1.5, float("inf")], "float32"),
                                          (list(range(2000)), "float32"), ([1, 2], "int32")])
def test_repr(values, dtype):
    ours, theirs = _pair(values, dtype)
    assert repr(ours) == repr(theirs).replace("torch.", "tritorch.")


def test_autograd_values():
    a = np.random.default_rng().standard_normal((3, 4))
    outs = []
    for lib in (tritorch, torch):
        x = lib.tensor(a, requires_grad=True)
        y = (x.tanh() @ x.t()).softmax(1).log().sum() + x.max(1).values.sum()
        y.backward()
        outs.append(x.grad.numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-10)
