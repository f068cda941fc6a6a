"""matmul with PyTorch's 1-d, batched and broadcast rules; mm, bmm, mv, dot, outer, einsum; gradients."""
import numpy as np
import pytest

import tritorch
from tritorch.autograd import gradcheck, gradgradcheck
from tensor_cases import assert_close, f64, layouts

F32, F64 = tritorch.float32, tritorch.float64
MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                 ((3,), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)), ((0, 3), (3, 2)),
                 ((2, 0), (0, 4))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul_forward(rng, sa, sb):
    a, b = rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32)
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    for (_, ta), (_, tb) in zip(layouts(a), layouts(b)):
        assert_close(ta @ tb, want, F32, rtol=1e-5, atol=1e-5)
        assert_close(tritorch.matmul(ta, tb), want, F32, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES[:8], ids=str)
def test_matmul_gradcheck_and_second_order(rng, sa, sb):
    a, b = f64(rng, sa), f64(rng, sb)
    assert gradcheck(tritorch.matmul, (a, b))
    if len(sa) <= 2 and len(sb) <= 2:
        assert gradgradcheck(lambda p, q: (p @ q).tanh(), (a, b))


def test_matmul_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 4x5\)"):
        tritorch.zeros(4, 3) @ tritorch.zeros(4, 5)
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D"):
        tritorch.zeros(()) @ tritorch.zeros(3)
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        tritorch.zeros(2, 2) @ tritorch.zeros(2, 2, dtype=F64)
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        tritorch.dot(tritorch.zeros(3), tritorch.zeros(4))
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        tritorch.mm(tritorch.zeros(3), tritorch.zeros(3, 2))
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        tritorch.bmm(tritorch.zeros(3, 3), tritorch.zeros(1, 3, 3))
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        tritorch.dot(tritorch.zeros(2, 2), tritorch.zeros(2))


def test_mm_bmm_mv_dot_outer_addmm(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    ba, bb = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 3, 4))
    v, w = rng.standard_normal(3), rng.standard_normal(4)
    T = lambda x: tritorch.tensor(x, dtype=F64)  # noqa: E731
    assert_close(tritorch.mm(T(a), T(b)), a @ b, F64)
    assert_close(T(ba).bmm(T(bb)), ba @ bb, F64)
    assert_close(tritorch.mv(T(a), T(v)), a @ v, F64)
    assert_close(tritorch.dot(T(v), T(v)), v @ v, F64)
    assert_close(tritorch.outer(T(v), T(w)), np.outer(v, w), F64)
    assert_close(tritorch.addmm(T(w), T(a), T(b), beta=0.5, alpha=2), 0.5 * w + 2 * (a @ b), F64)
    assert tritorch.outer(tritorch.tensor([1, 2]), tritorch.tensor([3, 4])).tolist() == [[3, 4], [6, 8]]
    assert (tritorch.tensor([[1, 2]]) @ tritorch.tensor([[3], [4]])).tolist() == [[11]]
    h = tritorch.tensor(a, dtype=tritorch.float16) @ tritorch.tensor(b, dtype=tritorch.float16)
    assert h.dtype is tritorch.float16
    assert_close(h, a.astype(np.float16).astype(np.float32) @ b.astype(np.float16).astype(np.float32),
                 tritorch.float16)


EINSUMS = [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("ij->ji", [(2, 3)]),
           ("ij->", [(2, 3)]), ("i,j->ij", [(2,), (3,)]), ("ij,ij->i", [(2, 3), (2, 3)]),
           ("ijk,k->ij", [(2, 3, 4), (4,)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("ij,jk", [(2, 3), (3, 4)]),
           ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)])]


@pytest.mark.parametrize("eq,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_forward_and_backward(rng, eq, shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    got = tritorch.einsum(eq, *[tritorch.tensor(x, dtype=F64) for x in arrays])
    assert_close(got, np.einsum(eq, *arrays), F64)
    assert_close(tritorch.einsum(eq, [tritorch.tensor(x, dtype=F64) for x in arrays]), np.einsum(eq, *arrays), F64)
    leaves = [f64(rng, s) for s in shapes]
    assert gradcheck(lambda *xs: tritorch.einsum(eq, *xs), leaves)


def test_einsum_errors():
    with pytest.raises(RuntimeError, match="number of subscripts in the equation"):
        tritorch.einsum("ij,jk->ik", tritorch.zeros(2, 3), tritorch.zeros(3))
    with pytest.raises(RuntimeError, match="operands"):
        tritorch.einsum("ij,jk->ik", tritorch.zeros(2, 3))
