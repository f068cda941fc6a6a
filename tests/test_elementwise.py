"""Elementwise ops against numpy (every shape and layout), and their gradients by gradcheck."""
import math

import numpy as np
import pytest

import tritorch
from tritorch.autograd import gradcheck
from tensor_cases import SHAPES, assert_close, f64, layouts

_erf = np.vectorize(math.erf, otypes=[np.float64])

# name -> (numpy reference, low, high of the input range, differentiable)
UNARY = {
    "exp": (np.exp, -2, 2, True), "exp2": (np.exp2, -2, 2, True), "log": (np.log, 0.1, 3, True),
    "log2": (np.log2, 0.1, 3, True), "log10": (np.log10, 0.1, 3, True), "log1p": (np.log1p, -0.5, 3, True),
    "expm1": (np.expm1, -2, 2, True), "sqrt": (np.sqrt, 0.1, 3, True),
    "rsqrt": (lambda x: 1 / np.sqrt(x), 0.1, 3, True), "abs": (np.abs, -2, 2, True),
    "neg": (np.negative, -2, 2, True), "sign": (np.sign, -2, 2, False), "sin": (np.sin, -3, 3, True),
    "cos": (np.cos, -3, 3, True), "tan": (np.tan, -1.2, 1.2, True), "tanh": (np.tanh, -3, 3, True),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), -5, 5, True), "relu": (lambda x: np.maximum(x, 0), -2, 2, True),
    "erf": (_erf, -3, 3, True), "floor": (np.floor, -3, 3, False), "ceil": (np.ceil, -3, 3, False),
    "round": (np.round, -3, 3, False), "trunc": (np.trunc, -3, 3, False),
    "reciprocal": (lambda x: 1 / x, 0.5, 3, True), "asin": (np.arcsin, -0.9, 0.9, True),
    "acos": (np.arccos, -0.9, 0.9, True), "atan": (np.arctan, -3, 3, True), "sinh": (np.sinh, -2, 2, True),
    "cosh": (np.cosh, -2, 2, True), "square": (np.square, -2, 2, True),
}


@pytest.mark.parametrize("dtype", [tritorch.float32, tritorch.float64])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_forward(rng, name, dtype):
    ref, lo, hi, _ = UNARY[name]
    for shape in SHAPES:
        a = rng.uniform(lo, hi, shape).astype(dtype.np)
        for layout, t in layouts(a, dtype):
            out = getattr(tritorch, name)(t)
            assert_close(out, ref(a.astype(np.float64)), dtype)
            assert_close(getattr(t, name)(), ref(a.astype(np.float64)), dtype)


@pytest.mark.parametrize("name", sorted(n for n in UNARY if UNARY[n][3]))
def test_unary_gradcheck(rng, name):
    _, lo, hi, _ = UNARY[name]
    for shape in [(), (2, 3)]:
        x = f64(rng, shape, lo, hi)
        if name in ("abs", "relu"):  # keep away from the kink at 0
            x = (x.detach().sign() * (x.detach().abs() + 0.1)).requires_grad_()
        assert gradcheck(getattr(tritorch, name), (x,))
    x = f64(rng, (4, 3), lo, hi)
    if name in ("abs", "relu"):
        x = (x.detach() + 3.0).requires_grad_()
    assert gradcheck(lambda v: getattr(v.t()[::2], name)(), (x,))  # through a non-contiguous view


def test_unary_on_integers_gives_float_or_keeps_int():
    i = tritorch.tensor([-2, 0, 3])
    assert tritorch.exp(i).dtype is tritorch.float32
    assert tritorch.sqrt(tritorch.tensor([4])).tolist() == [2.0]
    for name in ("abs", "neg", "sign", "floor", "ceil", "round", "trunc", "relu", "square"):
        out = getattr(tritorch, name)(i)
        assert out.dtype is tritorch.int64, name
        np.testing.assert_array_equal(out.numpy(), UNARY[name][0](np.array([-2, 0, 3])))


def test_round_is_half_to_even_as_pytorch():
    assert tritorch.tensor([0.5, 1.5, 2.5, -0.5]).round().tolist() == [0.0, 2.0, 2.0, -0.0]


def test_predicates_and_nan_to_num():
    x = tritorch.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    assert x.isnan().tolist() == [False, True, False, False]
    assert x.isinf().tolist() == [False, False, True, True]
    assert x.isfinite().tolist() == [True, False, False, False]
    assert x.isnan().dtype is tritorch.bool
    big = float(np.finfo(np.float32).max)
    assert x.nan_to_num().tolist() == [1.0, 0.0, big, -big]
    assert tritorch.nan_to_num(x, nan=2.0, posinf=3.0, neginf=-3.0).tolist() == [1.0, 2.0, 3.0, -3.0]
    h = tritorch.tensor([float("inf")], dtype=tritorch.float16).nan_to_num()
    assert h.dtype is tritorch.float16 and h.item() == 65504.0
    assert tritorch.nan_to_num(tritorch.tensor([3])).tolist() == [3]


# name -> (numpy reference, differentiable)
BINARY = {
    "add": (np.add, True), "sub": (np.subtract, True), "mul": (np.multiply, True), "div": (np.true_divide, True),
    "maximum": (np.maximum, True), "minimum": (np.minimum, True), "atan2": (np.arctan2, True),
    "remainder": (np.remainder, True), "fmod": (np.fmod, True), "floor_divide": (np.floor_divide, False),
    "pow": (np.power, True),
}
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (3,)), ((5,), ()), ((0, 3), (3,)),
             ((), ())]


@pytest.mark.parametrize("dtype", [tritorch.float32, tritorch.float64])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_forward_broadcasting(rng, name, dtype):
    ref = BINARY[name][0]
    lo = 0.5 if name == "pow" else -3
    for sa, sb in BROADCAST:
        a = rng.uniform(lo, 3, sa).astype(dtype.np)
        b = rng.uniform(0.5, 2, sb).astype(dtype.np) * rng.choice([-1, 1], sb)
        if name == "pow":
            b = np.abs(b)
        want = ref(a.astype(np.float64), b.astype(np.float64))
        for (_, ta), (_, tb) in zip(layouts(a, dtype), layouts(b, dtype)[::-1]):
            assert_close(getattr(tritorch, name)(ta, tb), want, dtype, rtol=1e-4 if dtype.itemsize == 4 else None)


@pytest.mark.parametrize("name", sorted(n for n in BINARY if BINARY[n][1]))
def test_binary_gradcheck_broadcasting(rng, name):
    for sa, sb in [((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,))]:
        a = f64(rng, sa, 0.5, 2.0) if name == "pow" else f64(rng, sa)
        b = f64(rng, sb, 0.5, 2.0)
        if name in ("maximum", "minimum"):  # distinct values: away from the tie
            b = (b.detach() + 5.0 * (rng.uniform() > 0.5)).requires_grad_()
        if name in ("remainder", "fmod"):  # away from the jumps of a / b
            a = (b.detach().expand(tritorch.broadcast_shapes(sa, sb)) * 1.5).sum_to_size(sa).requires_grad_() \
                if sa == sb else a
        assert gradcheck(getattr(tritorch, name), (a, b)), (sa, sb)


def test_scalar_operands_and_reflected_dunders(rng):
    a = rng.standard_normal((3, 2)).astype(np.float32)
    x = tritorch.tensor(a)
    cases = [(x + 2, a + 2), (2 + x, 2 + a), (x - 1.5, a - 1.5), (1.5 - x, 1.5 - a), (x * 3, a * 3),
             (3 * x, 3 * a), (x / 4, a / 4), (4 / x, 4 / a), (x ** 2, a ** 2), (2 ** x, 2 ** a), (-x, -a),
             (+x, a), (abs(x), np.abs(a)), (x // 0.7, a // 0.7), (x % 0.7, a % 0.7), (5 % x, 5 % a)]
    for got, want in cases:
        assert_close(got, want.astype(np.float32), tritorch.float32, rtol=1e-5, atol=1e-5)
    # numpy scalars on the left defer to the tensor
    assert isinstance(np.float32(2.0) * x, tritorch.Tensor)


def test_inplace_dunders_keep_identity_and_dtype(rng):
    a = rng.standard_normal(4).astype(np.float32)
    x = tritorch.tensor(a)
    ident = id(x)
    x += 1
    x *= 2
    x -= 0.5
    x /= 4
    x **= 2
    assert id(x) == ident and x.dtype is tritorch.float32
    assert_close(x, (((a + 1) * 2 - 0.5) / 4) ** 2, tritorch.float32)
    i = tritorch.tensor([7, -7])
    i //= 2
    assert i.tolist() == [3, -4]
    i %= 3
    assert i.tolist() == [0, 2]
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 0.5


def test_integer_division_follows_python_floor_semantics(rng):
    a = rng.integers(-20, 20, 50)
    b = rng.integers(1, 6, 50) * rng.choice([-1, 1], 50)
    ta, tb = tritorch.tensor(a), tritorch.tensor(b)
    assert (ta // tb).tolist() == [x // y for x, y in zip(a.tolist(), b.tolist())]
    assert (ta % tb).tolist() == [x % y for x, y in zip(a.tolist(), b.tolist())]
    assert tritorch.fmod(ta, tb).tolist() == [math.fmod(x, y) for x, y in zip(a.tolist(), b.tolist())]
    assert (ta // tb).dtype is tritorch.int64
    assert (ta / tb).dtype is tritorch.float32
    assert tritorch.div(ta, tb, rounding_mode="trunc").tolist() == [int(x / y) for x, y in zip(a.tolist(), b.tolist())]
    assert tritorch.div(ta, tb, rounding_mode="floor").tolist() == (ta // tb).tolist()
    assert ta.div(tb, rounding_mode="floor").dtype is tritorch.int64
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ta // 0
    with pytest.raises(RuntimeError, match="rounding_mode"):
        tritorch.div(ta, tb, rounding_mode="round")
    f = tritorch.tensor([-7.5, 7.5])
    assert (f // 2).tolist() == [-4.0, 3.0] and (f % -2).tolist() == [-1.5, -0.5]


def test_integer_pow():
    i = tritorch.tensor([1, 2, 3])
    assert (i ** 2).tolist() == [1, 4, 9] and (i ** 2).dtype is tritorch.int64
    assert (2 ** i).tolist() == [2, 4, 8]
    assert (i ** 0.5).dtype is tritorch.float32
    assert (i ** -1.0).tolist() == [1.0, 0.5, pytest.approx(1 / 3)]
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        i ** -1
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        i ** tritorch.tensor([1, -2, 1])


def test_bool_arithmetic_and_bitwise(rng):
    a, b = rng.integers(0, 2, 8).astype(bool), rng.integers(0, 2, 8).astype(bool)
    ta, tb = tritorch.tensor(a), tritorch.tensor(b)
    assert (ta + tb).dtype is tritorch.bool and (ta + tb).tolist() == (a | b).tolist()
    assert (ta * tb).tolist() == (a & b).tolist()
    assert (ta & tb).tolist() == (a & b).tolist() and (ta | tb).tolist() == (a | b).tolist()
    assert (ta ^ tb).tolist() == (a ^ b).tolist() and (~ta).tolist() == (~a).tolist()
    assert (ta + 1).dtype is tritorch.int64 and (ta * 1.5).dtype is tritorch.float32
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        ta - tb
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        -ta
    i, j = rng.integers(-50, 50, 8), rng.integers(-50, 50, 8)
    ti, tj = tritorch.tensor(i), tritorch.tensor(j)
    assert (ti & tj).tolist() == (i & j).tolist() and (ti | 3).tolist() == (i | 3).tolist()
    assert (ti ^ tj).tolist() == (i ^ j).tolist() and (~ti).tolist() == (~i).tolist()
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        tritorch.ones(2) & 1
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        ~tritorch.ones(2)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_return_bool_and_broadcast(rng, op):
    sym = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
    a = rng.integers(0, 3, (3, 4)).astype(np.float32)
    b = rng.integers(0, 3, (4,))
    want = eval(f"a {sym} b")
    for _, ta in layouts(a):
        got = eval(f"ta {sym} tritorch.tensor(b)")
        assert got.dtype is tritorch.bool
        np.testing.assert_array_equal(got.numpy(), want)
        np.testing.assert_array_equal(getattr(ta, op)(1).numpy(), getattr(np, {"eq": "equal", "ne": "not_equal",
                                      "lt": "less", "le": "less_equal", "gt": "greater",
                                      "ge": "greater_equal"}[op])(a, 1))
    assert not (tritorch.ones(2, requires_grad=True) > 0).requires_grad


def test_logical_ops(rng):
    a, b = rng.integers(0, 3, 6), rng.standard_normal(6) > 0
    ta, tb = tritorch.tensor(a), tritorch.tensor(b)
    for name in ("logical_and", "logical_or", "logical_xor"):
        out = getattr(tritorch, name)(ta, tb)
        assert out.dtype is tritorch.bool
        np.testing.assert_array_equal(out.numpy(), getattr(np, name)(a, b))
    np.testing.assert_array_equal(tritorch.logical_not(ta).numpy(), np.logical_not(a))


def test_broadcast_error_names_sizes():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at "
                                           r"non-singleton dimension 1"):
        tritorch.ones(2, 3) + tritorch.ones(4)


def test_where(rng):
    c = rng.standard_normal((3, 1)) > 0
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    out = tritorch.where(tritorch.tensor(c), tritorch.tensor(a, dtype=tritorch.float64), tritorch.tensor(b))
    assert out.dtype is tritorch.float64
    assert_close(out, np.where(c, a, b.astype(np.float32)), tritorch.float64, rtol=1e-6, atol=1e-6)
    assert tritorch.where(tritorch.tensor([True, False]), 1.0, tritorch.tensor([2, 3])).tolist() == [1.0, 3.0]
    assert [t.tolist() for t in tritorch.where(tritorch.tensor([[0, 1], [1, 0]]) > 0)] == [[0, 1], [1, 0]]
    with pytest.raises(RuntimeError, match="boolean"):
        tritorch.where(tritorch.tensor([1, 0]), 1.0, 2.0)
    ta, tb = f64(rng, (3, 4)), f64(rng, (4,))
    cond = tritorch.tensor(c)
    assert gradcheck(lambda x, y: tritorch.where(cond, x, y), (ta, tb))


def test_clamp(rng):
    a = rng.uniform(-3, 3, (4, 5)).astype(np.float32)
    for _, t in layouts(a):
        assert_close(t.clamp(-1, 1), np.clip(a, -1, 1), tritorch.float32)
        assert_close(tritorch.clamp(t, min=0.5), np.maximum(a, 0.5), tritorch.float32)
        assert_close(tritorch.clip(t, max=0.5), np.minimum(a, 0.5), tritorch.float32)
    lo, hi = rng.uniform(-2, 0, 5).astype(np.float32), rng.uniform(0, 2, (4, 1)).astype(np.float32)
    assert_close(tritorch.tensor(a).clamp(tritorch.tensor(lo), tritorch.tensor(hi)), np.minimum(np.maximum(a, lo), hi),
                 tritorch.float32)
    assert tritorch.tensor([1, 5]).clamp(2, 4).tolist() == [2, 4]
    assert tritorch.tensor([1, 5]).clamp(2.5).dtype is tritorch.float32
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        tritorch.tensor(a).clamp()
    x = tritorch.tensor(rng.choice([-1.5, -0.3, 0.2, 1.2], (3, 4)) + rng.uniform(-0.05, 0.05, (3, 4)),
                        requires_grad=True)
    assert gradcheck(lambda v: v.clamp(-0.5, 0.5), (x,))
    x = tritorch.tensor([-2.0, 0.0, 2.0], requires_grad=True)
    x.clamp(-1, 1).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_masked_fill_and_lerp(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    m = rng.standard_normal(4) > 0
    out = tritorch.tensor(a).masked_fill(tritorch.tensor(m), -1.0)
    assert_close(out, np.where(m, -1.0, a).astype(np.float32), tritorch.float32)
    with pytest.raises(RuntimeError, match="boolean"):
        tritorch.tensor(a).masked_fill(tritorch.tensor(m.astype(np.int64)), 0.0)
    e, w = rng.standard_normal((3, 4)), rng.uniform(0, 1, 4)
    got = tritorch.lerp(tritorch.tensor(a, dtype=tritorch.float64), tritorch.tensor(e), tritorch.tensor(w))
    a64 = a.astype(np.float64)
    assert_close(got, a64 + w * (e - a64), tritorch.float64)
    x, y = f64(rng, (3, 4)), f64(rng, (4,))
    assert gradcheck(lambda p, q: tritorch.lerp(p, q, 0.3), (x, y))
    mask = tritorch.tensor(m)
    assert gradcheck(lambda p: p.masked_fill(mask, 2.0), (x,))


def test_second_order_elementwise(rng):
    x = f64(rng, (3,), 0.5, 2.0)
    for fn in (lambda v: v.exp() * v.sin(), lambda v: v.tanh() / v, lambda v: v ** 3 - v.sqrt(),
               lambda v: tritorch.sigmoid(v) * v.log()):
        assert tritorch.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("dtype", [tritorch.float16, tritorch.bfloat16])
def test_low_precision_compute_in_float32_and_round_back(rng, dtype):
    a = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    b = rng.uniform(0.5, 2, 4).astype(np.float32)
    ta, tb = tritorch.tensor(a, dtype=dtype), tritorch.tensor(b, dtype=dtype)
    a, b = ta.float().numpy(), tb.float().numpy()  # the values after rounding to dtype
    for got, want in [(ta + tb, a + b), (ta * tb, a * b), (ta / tb, a / b), (ta.exp(), np.exp(a)),
                      (ta.log(), np.log(a)), (ta.sigmoid(), 1 / (1 + np.exp(-a))), (ta ** 2, a ** 2)]:
        assert_close(got, want, dtype)
    assert (ta + 1.5).dtype is dtype and (ta + tritorch.tensor(1.0, dtype=tritorch.float64)).dtype is dtype
