"""kernels.sort.argsort against numpy's stable argsort: every dtype, short and long rows (merge
passes), NaN/-0.0/ties in both directions, strided inputs and any axis."""
import ml_dtypes
import numpy as np
import pytest

from conftest import cuda
from tritorch.kernels.sort import MAX_CHUNK, argsort

DTYPES = [np.int64, np.float64, np.float32, np.float16, ml_dtypes.bfloat16, np.int32, np.uint8, np.bool_]


def expected(x, axis, descending):
    """The stable argsort of x along axis: NaN last ascending, first descending; -0.0 == 0.0."""
    x = np.moveaxis(np.asarray(x), axis, -1)
    if x.dtype in (np.float16, ml_dtypes.bfloat16):
        x = x.astype(np.float32)
    out = np.empty(x.shape, np.int64)
    for r in np.ndindex(x.shape[:-1]):
        v, order = x[r], np.arange(x.shape[-1])
        if not descending:
            out[r] = np.argsort(v, kind="stable")
        elif v.dtype.kind == "f":
            nan = np.isnan(v)
            out[r] = np.lexsort((order, -np.where(nan, 0, v), ~nan))
        else:
            out[r] = np.lexsort((order, ~v))  # ~ reverses the order of ints and bools
    return np.moveaxis(out, -1, axis)


def sample(rng, shape, dtype):
    """Values with many ties; floats with NaN, -0.0, +-inf and subnormal-free halves; ints spanning
    their whole range."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        x[rng.random(shape) < 0.3] = 7  # ties
        return x
    x = rng.integers(-6, 6, shape).astype(np.float64) * 0.75  # ties
    spread = rng.random(shape) < 0.5
    x[spread] = rng.normal(size=shape)[spread] * 1e3
    special = rng.random(shape)
    x[special < 0.05] = np.nan
    x[(special >= 0.05) & (special < 0.1)] = -0.0
    x[(special >= 0.1) & (special < 0.12)] = np.inf
    x[(special >= 0.12) & (special < 0.14)] = -np.inf
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_rows_of_1_4097_and_10001_columns(rng, dtype):
    for shape, descending in [((3, 1), False), ((3, 1), True), ((2, 4097), False), ((1, 10001), True)]:
        x = sample(rng, shape, dtype)
        np.testing.assert_array_equal(argsort(cuda.to_device(x), 1, descending).numpy(), expected(x, 1, descending))


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.float64])
def test_many_merge_passes_with_odd_run_lengths(rng, dtype):
    x = sample(rng, (3, 77), dtype)  # chunk 2: 6 merge passes, a partial last run in each
    for chunk in (1, 2, 8):
        for descending in (False, True):
            got = argsort(cuda.to_device(x), 1, descending, chunk=chunk)
            np.testing.assert_array_equal(got.numpy(), expected(x, 1, descending))


def test_nan_signed_zero_infinities_and_ties_in_both_directions():
    x = np.array([[3.0, -0.0, np.nan, 0.0, -np.inf, np.inf, np.nan, 3.0, -1.0, 0.0, -0.0]], np.float64)
    for dtype in (np.float64, np.float32, np.float16):
        a = cuda.to_device(x.astype(dtype))
        assert argsort(a, 1).numpy().tolist() == [[4, 8, 1, 3, 9, 10, 0, 7, 5, 2, 6]]
        assert argsort(a, 1, descending=True).numpy().tolist() == [[2, 6, 5, 0, 7, 1, 3, 9, 10, 8, 4]]
        assert argsort(a, 1, chunk=2).numpy().tolist() == [[4, 8, 1, 3, 9, 10, 0, 7, 5, 2, 6]]


def test_int64_extremes_and_keys_beyond_32_bits():
    big = np.array([2**62 + 1, -2**63, 2**62, 2**63 - 1, -1, 2**32, 0, 2**32 + 1, -2**63, 2**63 - 1], np.int64)
    for chunk in (None, 2):
        assert argsort(cuda.to_device(big[None]), 1, chunk=chunk).numpy()[0].tolist() == [1, 8, 4, 6, 5, 7, 2, 0, 3, 9]
        assert (argsort(cuda.to_device(big[None]), 1, True, chunk=chunk).numpy()[0].tolist()
                == [3, 9, 0, 2, 7, 5, 6, 4, 1, 8])


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_strided_inputs_and_axis_0(rng, dtype):
    x = sample(rng, (2 * MAX_CHUNK + 9, 6), dtype)   # axis 0: columns of 137 rows, 3 chunks
    d = cuda.to_device(x)
    np.testing.assert_array_equal(argsort(d, 0).numpy(), expected(x, 0, False))
    np.testing.assert_array_equal(argsort(d, 0, True).numpy(), expected(x, 0, True))
    np.testing.assert_array_equal(argsort(d.T, 1).numpy(), expected(x.T, 1, False))          # transposed
    np.testing.assert_array_equal(argsort(d[::2, 1:], 0, True).numpy(), expected(x[::2, 1:], 0, True))
    x3 = sample(rng, (3, 70, 5), dtype)
    d3 = cuda.to_device(x3).permute(2, 0, 1)  # rows whose other dims do not fold into two strides
    np.testing.assert_array_equal(argsort(d3, 2, chunk=4).numpy(), expected(x3.transpose(2, 0, 1), 2, False))
    np.testing.assert_array_equal(argsort(d3, 1).numpy(), expected(x3.transpose(2, 0, 1), 1, False))


def test_empty_and_single_element():
    assert argsort(cuda.to_device(np.zeros((0, 5), np.float32)), 1).shape == (0, 5)
    assert argsort(cuda.to_device(np.zeros((4, 0), np.int64)), 1).shape == (4, 0)
    assert argsort(cuda.to_device(np.array([np.nan])), 0).numpy().tolist() == [0]
