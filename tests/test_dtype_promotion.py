"""PyTorch's type promotion: dtype pairs, Python scalars, 0-d tensors, and the casts between dtypes."""
import numpy as np
import pytest

import tritorch
from tritorch import _dtype

B, U8, I8, I16, I32, I64 = (tritorch.bool, tritorch.uint8, tritorch.int8, tritorch.int16, tritorch.int32,
                            tritorch.int64)
F16, BF16, F32, F64 = tritorch.float16, tritorch.bfloat16, tritorch.float32, tritorch.float64
ALL = [B, U8, I8, I16, I32, I64, F16, BF16, F32, F64]

# torch.promote_types, row by row, in the order of ALL (copied from PyTorch's table)
TABLE = """
b   u8  i8  i16 i32 i64 f16 bf16 f32 f64
u8  u8  i16 i16 i32 i64 f16 bf16 f32 f64
i8  i16 i8  i16 i32 i64 f16 bf16 f32 f64
i16 i16 i16 i16 i32 i64 f16 bf16 f32 f64
i32 i32 i32 i32 i32 i64 f16 bf16 f32 f64
i64 i64 i64 i64 i64 i64 f16 bf16 f32 f64
f16 f16 f16 f16 f16 f16 f16 f32  f32 f64
bf16 bf16 bf16 bf16 bf16 bf16 f32 bf16 f32 f64
f32 f32 f32 f32 f32 f32 f32 f32  f32 f64
f64 f64 f64 f64 f64 f64 f64 f64  f64 f64
"""
_SHORT = dict(zip("b u8 i8 i16 i32 i64 f16 bf16 f32 f64".split(), ALL))


def _rows():
    for a, line in zip(ALL, TABLE.strip().splitlines()):
        for b, name in zip(ALL, line.split()):
            yield a, b, _SHORT[name]


@pytest.mark.parametrize("a,b,want", list(_rows()), ids=lambda d: getattr(d, "name", None))
def test_promote_types_table(a, b, want):
    assert tritorch.promote_types(a, b) is want
    ta, tb = tritorch.ones(2, dtype=a), tritorch.ones(2, dtype=b)
    if want is not B:  # arithmetic of two tensors follows the table
        assert (ta * tb).dtype is want
    assert tritorch.result_type(ta, tb) is want
    assert tritorch.cat([ta, tb]).dtype is want


@pytest.mark.parametrize("x,other,want", [
    (I64, 1.5, F32), (I32, 2, I32), (I8, 1.5, F32), (U8, 3, U8), (B, 2, I64), (B, 2.0, F32), (B, True, B),
    (F16, 2.0, F16), (BF16, 2, BF16), (F64, 1.0, F64), (I16, True, I16),
])
def test_python_scalars_only_raise_the_category(x, other, want):
    t = tritorch.ones(3, dtype=x)
    assert (t * other).dtype is want and (other * t).dtype is want


@pytest.mark.parametrize("x,zero_d,want", [
    (I64, F64, F64),   # a 0-d tensor of a higher category keeps its own dtype
    (F16, F64, F16),   # a 0-d tensor of the same category never widens
    (I8, I64, I8), (U8, I8, U8), (F32, F64, F32), (B, I32, I32), (I32, F16, F16),
])
def test_zero_dim_tensors_rank_below_dimensioned(x, zero_d, want):
    t, z = tritorch.ones(3, dtype=x), tritorch.tensor(1, dtype=zero_d)
    assert (t + z).dtype is want and (z + t).dtype is want


def test_two_zero_dim_tensors_promote_normally():
    assert (tritorch.tensor(1.0, dtype=F64) + tritorch.tensor(1)).dtype is F64
    assert (tritorch.tensor(1, dtype=U8) + tritorch.tensor(1, dtype=I8)).dtype is I16
    assert (tritorch.tensor(1) + 2.5).dtype is F32


def test_default_dtype_changes_float_inference():
    try:
        tritorch.set_default_dtype(F64)
        assert tritorch.tensor([1.0]).dtype is F64 and (tritorch.tensor([1]) * 0.5).dtype is F64
        assert tritorch.zeros(2).dtype is F64
    finally:
        tritorch.set_default_dtype(F32)
    with pytest.raises(TypeError):
        tritorch.set_default_dtype(I64)


def test_inferred_dtypes():
    assert tritorch.tensor([1, 2]).dtype is I64
    assert tritorch.tensor([[1.0, 2], [3, 4]]).dtype is F32
    assert tritorch.tensor([True, False]).dtype is B
    assert tritorch.tensor(np.zeros(2, np.float64)).dtype is F64
    assert tritorch.tensor(np.zeros(2, np.int32)).dtype is I32
    assert tritorch.tensor([tritorch.tensor(1.0), tritorch.tensor(2.0)]).dtype is F32
    assert tritorch.arange(3).dtype is I64 and tritorch.arange(0.0, 1.0, 0.5).dtype is F32


@pytest.mark.parametrize("method,want", [("float", F32), ("double", F64), ("half", F16), ("bfloat16", BF16),
                                         ("long", I64), ("int", I32), ("short", I16), ("char", I8),
                                         ("byte", U8), ("bool", B)])
def test_cast_methods(rng, method, want):
    a = rng.uniform(-3, 3, (2, 3))
    t = tritorch.tensor(a)
    out = getattr(t, method)()
    assert out.dtype is want and out.shape == t.shape
    assert t.to(want).dtype is want and t.to(dtype=want).dtype is want
    if want in (I64, I32, I16, I8):  # float -> int truncates toward zero, as C casts
        np.testing.assert_array_equal(out.numpy(), np.trunc(a.astype(np.float32)).astype(want.np))
    if want is B:
        np.testing.assert_array_equal(out.numpy(), a != 0)


def test_to_returns_self_when_nothing_changes():
    t = tritorch.ones(2)
    assert t.to(F32) is t and t.to("cpu") is t and t.to(t) is t
    assert t.to(F32, copy=True) is not t
    assert t.to(float).dtype is F64 and t.to(int).dtype is I64 and t.to(bool).dtype is B
    assert t.type_as(tritorch.ones(1, dtype=I32)).dtype is I32
    assert t.type() == "torch.FloatTensor"   # PyTorch's string: programs compare it


def test_cast_gradient_flows_back_in_the_source_dtype():
    x = tritorch.ones(3, dtype=F64, requires_grad=True)
    y = x.float() * 2
    y.sum().backward()
    assert x.grad.dtype is F64 and x.grad.tolist() == [2.0, 2.0, 2.0]
    assert not x.long().requires_grad


def test_dtype_objects():
    assert F32.is_floating_point and not I64.is_floating_point and I8.is_signed and not U8.is_signed
    assert F16.itemsize == 2 and repr(BF16) == "tritorch.bfloat16"
    assert tritorch.float is F32 and tritorch.double is F64 and tritorch.long is I64 and tritorch.half is F16
    assert _dtype.to_dtype(np.float64) is F64
    import pickle
    assert pickle.loads(pickle.dumps(F16)) is F16
    assert tritorch.tensor(np.zeros(2, np.complex128)).dtype is tritorch.complex128
    with pytest.raises(TypeError, match="uint16"):
        tritorch.tensor(np.zeros(2, np.uint16))


@pytest.mark.parametrize("default", [tritorch.float32, tritorch.float64])
def test_binary_ops_shortcut_agrees_with_result_type(default):
    """binary ops answer the usual promotions without the table: the shortcut must agree everywhere."""
    from tritorch._ops._util import binary_result_type
    operands = [tritorch.ones(s, dtype=d) for d in _dtype.ALL for s in (2, ())]
    operands += [True, 3, 2.5, np.float64(1.0), np.int32(2), np.bool_(True), 1j]
    previous = tritorch.get_default_dtype()
    tritorch.set_default_dtype(default)
    try:
        for a in operands:
            for b in operands:
                if isinstance(a, tritorch.Tensor) or isinstance(b, tritorch.Tensor):
                    try:
                        expected = _dtype.result_type(a, b)
                    except RuntimeError:  # float16 with a lower-level complex: PyTorch's complex32, absent here
                        with pytest.raises(RuntimeError, match="Unknown Complex ScalarType for Half"):
                            binary_result_type(a, b)
                        continue
                    assert binary_result_type(a, b) is expected, (a, b)
                    assert _dtype.result_type(a, b) is _dtype._result_type((_dtype._kind(a), _dtype._kind(b)))
    finally:
        tritorch.set_default_dtype(previous)
