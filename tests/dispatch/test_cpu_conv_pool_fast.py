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


def _conv64(x, w, padding, dilation, groups):
    return cpu_conv.conv2d(x.astype(np.float64), w.astype(np.float64), None, (1, 1), padding, dilation, groups)


@pytest.mark.parametrize("geo", [
    ((3, 4, 6, 20), (6, 2, 3, 3), ((1, 0), (1, 2)), (2, 1), 2),  # padding, dilation, groups
    ((2, 3, 5, 19), (4, 3, 2, 3), ((0, 0), (0, 0)), (1, 1), 1),  # no padding: straight into the result
    ((5, 2, 4, 24), (3, 2, 3, 2), ((2, 2), (1, 1)), (1, 2), 1),
])
def test_conv2d_input_grad_pitched_runs_match_tap_adds(rng, monkeypatch, geo):
    """Stride 1 and Wp - Wo <= Wo / 8 take the pitched col2im; it must equal the per-tap adds."""
    x_shape, w_shape, padding, dilation, groups = geo
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    g = rng.standard_normal(_conv64(x, w, padding, dilation, groups).shape).astype(np.float32)
    calls = []
    monkeypatch.setattr(cpu_conv, "_col2im_pitched", lambda *a, f=cpu_conv._col2im_pitched: calls.append(1) or f(*a))
    monkeypatch.setattr(cpu_conv, "_chunk", lambda n, per_sample_bytes: min(n, 2))  # a short last chunk
    gx = cpu_conv.conv2d_input_grad(g, w, x_shape[2:], (1, 1), padding, dilation, groups)
    assert calls and gx.shape == x_shape
    dx = rng.standard_normal(x_shape)
    np.testing.assert_allclose(np.sum(gx * dx), np.sum(g * _conv64(dx, w, padding, dilation, groups)), rtol=1e-4)
    n, o, ho, wo = g.shape
    (pt, pb), (pl, pr) = padding
    ref = cpu_conv._col2im_taps(g, np.ascontiguousarray(w.reshape(groups, o // groups, -1, w_shape[2] * w_shape[3])
                                                        .transpose(0, 3, 2, 1).reshape(groups, -1, o // groups)),
                                (n, groups, o // groups, w_shape[1], *w_shape[2:], ho, wo, x_shape[2] + pt + pb,
                                 x_shape[3] + pl + pr), (1, 1), dilation)
    np.testing.assert_allclose(gx, ref[:, :, pt:pt + x_shape[2], pl:pl + x_shape[3]], rtol=1e-5, atol=1e-5)


def test_conv2d_input_grad_infinite_weight_as_torch(rng):
    """The pitched runs rely on 0 * w == 0 in their padding columns: an infinite weight must not
    spill NaN into neighbouring pixels."""
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 6, 20)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    w[1, 2, 0, 0] = np.inf  # tap column 0: a spill from its padding columns would land inside the crop
    g = rng.standard_normal((2, 4, 6, 20)).astype(np.float32)
    gx = cpu_conv.conv2d_input_grad(g, w, (6, 20), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    ref = torch.nn.grad.conv2d_input(x.shape, torch.from_numpy(w), torch.from_numpy(g), padding=1).numpy()
    assert np.array_equal(np.isnan(gx), np.isnan(ref)) and np.array_equal(np.isinf(gx), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(gx[fin], ref[fin], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride, padding", [((1, 1), ((1, 1), (2, 0))), ((2, 1), ((1, 0), (0, 1))), ((1, 1), ((0, 0), (0, 0)))])
def test_conv2d_gradients_are_contiguous_arrays_of_the_input_dtype(rng, stride, padding):
    for dt in (np.float32, np.float16, np.float64):
        x = rng.standard_normal((2, 3, 9, 20)).astype(dt)
        w = rng.standard_normal((4, 3, 3, 3)).astype(dt)
        g = np.ones(cpu_conv.conv2d(x, w, None, stride, padding, (1, 1), 1).shape, dt)
        gx = cpu_conv.conv2d_input_grad(g, w, (9, 20), stride, padding, (1, 1), 1)
        gw = cpu_conv.conv2d_weight_grad(g, x, w.shape, stride, padding, (1, 1), 1)
        for a, shape in ((gx, x.shape), (gw, w.shape)):
            assert a.shape == shape and a.dtype == dt and a.flags.c_contiguous
