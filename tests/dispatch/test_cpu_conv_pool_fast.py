"""The CPU fast paths of the MNIST CNN step against slow references: 2x2/stride-2 max pooling as a
tournament (ties to the first maximum, NaN and ceil_mode back to the general loop), and conv2d's
per-sample matmuls across chunk edges (a last chunk shorter than the others)."""
import numpy as np
import pytest

from tritorch._dispatch.cpu import conv as cpu_conv
from tritorch._dispatch.cpu import nn as cpu_nn
from tritorch._dispatch.cpu.maxpool2x2 import max_pool2d_2x2


def _pool_ref(x, ho, wo):
    """PyTorch's CPU loop for a 2x2 kernel, stride 2: taps in row-major order, a tap wins when
    greater than the running maximum or NaN."""
    n, c, h, w = x.shape
    best = np.full((n, c, ho, wo), -np.inf, x.dtype)
    arg = np.zeros((n, c, ho, wo), np.int64)
    r, q = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    for i in (0, 1):
        for j in (0, 1):
            rows, cols = np.minimum(2 * r + i, h - 1), np.minimum(2 * q + j, w - 1)
            inside = (2 * r + i < h) & (2 * q + j < w)
            v = np.where(inside, x[:, :, rows, cols], -np.inf)
            win = inside & ((v > best) | np.isnan(v))
            if i == 0 and j == 0:
                win = np.ones_like(win)
            best, arg = np.where(win, v, best), np.where(win, rows * w + cols, arg)
    return best, arg


@pytest.mark.parametrize("shape", [(2, 3, 8, 6), (3, 2, 7, 9), (1, 1, 2, 2), (2, 4, 5, 3)])
def test_max_pool2d_2x2_ties_and_infinities_as_pytorch(rng, shape):
    x = rng.integers(-2, 3, shape).astype(np.float32)  # many ties
    x[rng.random(shape) < 0.2] = -np.inf
    x[rng.random(shape) < 0.05] = np.inf
    x[0, 0, :2, :2] = -np.inf  # a window of -inf only: index of its first tap
    ho, wo = shape[2] // 2, shape[3] // 2
    fast = max_pool2d_2x2(x, False)
    assert fast is not None
    ref_val, ref_idx = _pool_ref(x, ho, wo)
    assert fast[1].dtype == np.int64 and fast[0].shape == (shape[0], shape[1], ho, wo)
    assert np.array_equal(fast[0], ref_val) and np.array_equal(fast[1], ref_idx)
    val, idx = cpu_nn.max_pool2d(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    assert np.array_equal(val, ref_val) and np.array_equal(idx, ref_idx)


def test_max_pool2d_2x2_strided_input_and_other_dtypes(rng):
    base = rng.integers(-3, 4, (2, 3, 10, 12)).astype(np.float64)
    x = base[:, ::-1, 1:, ::2]  # negative and step strides, odd height
    ref_val, ref_idx = _pool_ref(np.ascontiguousarray(x), 4, 3)
    for dt in (np.float64, np.float32, np.float16):
        val, idx = cpu_nn.max_pool2d(x.astype(dt), (2, 2), (2, 2), (0, 0), (1, 1), False)
        assert val.dtype == dt and np.array_equal(val, ref_val.astype(dt)) and np.array_equal(idx, ref_idx)


def test_max_pool2d_2x2_falls_back_on_nan_and_ceil_mode(rng):
    x = rng.integers(-2, 3, (2, 3, 6, 7)).astype(np.float32)
    x[0, 1, 2, 3] = x[0, 1, 3, 2] = np.nan  # two NaNs in one window: PyTorch keeps the last
    assert max_pool2d_2x2(x, False) is None
    val, idx = cpu_nn.max_pool2d(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    ref_val, ref_idx = _pool_ref(x, 3, 3)
    assert np.array_equal(val, ref_val, equal_nan=True) and np.array_equal(idx, ref_idx)
    assert idx[0, 1, 1, 1] == 3 * 7 + 2
    assert max_pool2d_2x2(np.nan_to_num(x)[:, :, :, :6], True) is not None  # even sizes: ceil_mode changes nothing
    assert max_pool2d_2x2(np.nan_to_num(x), True) is None  # odd width: a partial last window
    val, idx = cpu_nn.max_pool2d(np.nan_to_num(x), (2, 2), (2, 2), (0, 0), (1, 1), True)
    assert val.shape == (2, 3, 3, 4) and np.array_equal(idx[..., 3], 2 * 7 * np.arange(3) + 6 + 7 * (
        np.nan_to_num(x)[:, :, 1::2, 6] > np.nan_to_num(x)[:, :, 0::2, 6]))


def test_max_pool2d_2x2_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 5, 13, 10)).astype(np.float32)
    x[:, :, ::3] = 0.5  # ties across whole rows
    val, idx = cpu_nn.max_pool2d(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    tv, ti = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    assert np.array_equal(val, tv.numpy()) and np.array_equal(idx, ti.numpy())


@pytest.mark.parametrize("padding", [((0, 0), (0, 0)), ((1, 2), (0, 1))])
def test_conv2d_chunks_with_a_short_last_chunk(rng, monkeypatch, padding):
    x = rng.standard_normal((5, 3, 7, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    g = rng.standard_normal(cpu_conv.conv2d(x, w, b, (1, 1), padding, (1, 1), 1).shape).astype(np.float32)
    whole = (cpu_conv.conv2d(x, w, b, (1, 1), padding, (1, 1), 1),
             cpu_conv.conv2d_input_grad(g, w, (7, 6), (1, 1), padding, (1, 1), 1),
             cpu_conv.conv2d_weight_grad(g, x, w.shape, (1, 1), padding, (1, 1), 1))
    monkeypatch.setattr(cpu_conv, "_chunk", lambda n, per_sample_bytes: min(n, 2))  # chunks of 2 + 2 + 1
    parts = (cpu_conv.conv2d(x, w, b, (1, 1), padding, (1, 1), 1),
             cpu_conv.conv2d_input_grad(g, w, (7, 6), (1, 1), padding, (1, 1), 1),
             cpu_conv.conv2d_weight_grad(g, x, w.shape, (1, 1), padding, (1, 1), 1))
    for a, p in zip(whole, parts):
        np.testing.assert_allclose(p, a, rtol=1e-5, atol=1e-5)
    # the input gradient is the adjoint of the convolution (without bias): <g, conv(dx)> = <gx, dx>
    dx = rng.standard_normal(x.shape)
    lin = np.sum(g * (cpu_conv.conv2d(dx, w.astype(np.float64), None, (1, 1), padding, (1, 1), 1)))
    np.testing.assert_allclose(np.sum(parts[1] * dx), lin, rtol=1e-4)
