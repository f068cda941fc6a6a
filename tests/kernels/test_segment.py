"""kernels.segment: run starts and lengths of sorted arrays (vs np.unique), and the segmented,
atomics-free index add (vs np.add.at, bit for bit in float32/float64)."""
import numpy as np
import pytest

from conftest import cuda
from tritorch.kernels.segment import run_lengths, run_starts, segment_add
from tritorch.kernels.sort import argsort


def test_run_starts_keep_each_nan_apart_and_signed_zeros_equal():
    x = np.array([-np.inf, -1.5, -0.0, 0.0, 0.0, 2.0, np.inf, np.nan, np.nan], np.float32)
    assert run_starts(cuda.to_device(x)).numpy().tolist() == [1, 1, 1, 0, 0, 1, 1, 1, 1]   # NaN != NaN
    bf16 = cuda.to_device(x.astype(cuda.as_dtype("bfloat16")))
    assert run_starts(bf16).numpy().tolist() == [1, 1, 1, 0, 0, 1, 1, 1, 1]
    x64 = np.array([2**40, 2**40, 2**40 + 1, 2**62], np.int64)    # differ only above 32 bits
    assert run_starts(cuda.to_device(x64)).numpy().tolist() == [1, 0, 1, 1]
    assert run_starts(cuda.to_device(np.zeros(0, np.float64))).shape == (0,)


def test_runs_give_np_unique_counts(rng):
    x = np.sort(rng.integers(-50, 50, 3001))
    flags = run_starts(cuda.to_device(x)).numpy()
    starts = np.flatnonzero(flags)
    values, counts = np.unique(x, return_counts=True)
    np.testing.assert_array_equal(x[starts], values)
    np.testing.assert_array_equal(run_lengths(cuda.to_device(starts), x.size).numpy(), counts)


def add_at(a, keys, src):
    out = a.copy()
    np.add.at(out, (slice(None), keys), src)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_segment_add_equals_sequential_add_at_bit_for_bit(rng, dtype):
    size, m = 37, 1500
    keys = rng.integers(0, size - 5, m)         # slots size-5.. are never hit
    keys[rng.random(m) < 0.3] = 3               # one long run
    a = rng.normal(size=(2, size, 19)).astype(dtype)
    src = (rng.normal(size=(2, m, 19)) * 10.0 ** rng.integers(-3, 4, (2, m, 1))).astype(dtype)
    order = argsort(cuda.to_device(keys), 0)
    out = segment_add(cuda.to_device(a), cuda.to_device(src), cuda.to_device(np.sort(keys, kind="stable")), order)
    np.testing.assert_array_equal(out.numpy(), add_at(a, keys, src))        # same order, same rounding
    np.testing.assert_array_equal(out.numpy()[:, size - 5:], a[:, size - 5:])


def test_segment_add_strided_inputs_integers_and_bool(rng):
    keys = rng.integers(0, 6, 40)
    order = argsort(cuda.to_device(keys), 0)
    skeys = cuda.to_device(np.sort(keys, kind="stable"))
    a = rng.integers(-100, 100, (9, 6)).astype(np.int8)
    src = rng.integers(-100, 100, (40, 9)).astype(np.int8)
    out = segment_add(cuda.to_device(a).T.reshape(1, 6, 9), cuda.to_device(src).reshape(1, 40, 9), skeys, order)
    np.testing.assert_array_equal(out.numpy()[0], add_at(a.T[None], keys, src[None])[0])  # wraps like int8
    flags = np.zeros((1, 6, 1), np.bool_)
    hits = (rng.random((1, 40, 1)) < 0.1)
    out = segment_add(cuda.to_device(flags), cuda.to_device(hits), skeys, order)
    np.testing.assert_array_equal(out.numpy(), add_at(flags, keys, hits))  # bool: any


def test_segment_add_without_indices_copies():
    a = np.arange(12, dtype=np.float32).reshape(1, 4, 3)
    none = cuda.to_device(np.zeros(0, np.int64))
    out = segment_add(cuda.to_device(a), cuda.to_device(np.zeros((1, 0, 3), np.float32)), none, none)
    np.testing.assert_array_equal(out.numpy(), a)
