"""The CPU backend's heavy primitives against float64 references written out the slow, obvious way:
erf (a fitted float32 form), conv2d and its gradients (im2col in chunks), max pooling (one
pass per tap)."""
import math

import numpy as np
import pytest

from tritorch._dispatch.cpu import conv as cpu_conv
from tritorch._dispatch.cpu import fused as cpu_fused
from tritorch._dispatch.cpu import nn as cpu_nn
from tritorch._dispatch.cpu import norm as cpu_norm
from tritorch._dispatch.cpu.elementwise import erf

_erf = np.vectorize(math.erf, otypes=[np.float64])


def test_erf_float32_within_three_ulp_on_a_dense_grid():
    x = np.concatenate([np.linspace(-8, 8, 400_001), [1e-38, -1e-30, 1e-8, 0.999999, 1.0, 1.000001, 3.9, 4.1]])
    x32 = x.astype(np.float32)
    ref = _erf(x32.astype(np.float64))
    got = erf(x32)
    assert got.dtype == np.float32
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got - ref) / ulp) <= 3.0
    assert np.max(np.abs(got - ref)) <= 2.5e-7


def test_erf_specials_and_float64_exact(rng):
    got = erf(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32))
    assert np.isnan(got[0]) and got[1] == 1 and got[2] == -1 and got[3] == 0 and np.signbit(got[4])
    x = rng.standard_normal((5, 7)) * 3
    assert np.array_equal(erf(x), _erf(x))  # float64 keeps the C library's erf
    assert erf(np.float32(0.5)).shape == ()


def _conv_ref(x, w, stride, padding, dilation, groups):
    """Direct float64 loops over output channels and taps."""
    (pt, pb), (pl, pr) = padding
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, hp, wp = xp.shape
    o, cg, kh, kw = w.shape
    ho = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, ho, wo))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(kh):
            for j in range(kw):
                r, s = i * dilation[0], j * dilation[1]
                patch = xp[:, g * cg:(g + 1) * cg, r:r + stride[0] * (ho - 1) + 1:stride[0],
                           s:s + stride[1] * (wo - 1) + 1:stride[1]]
                y[:, oc] += np.einsum("nchw,c->nhw", patch, w[oc, :, i, j])
    return y


@pytest.mark.parametrize("chunk", [1 << 24, 64])  # 64 bytes: one sample per chunk
@pytest.mark.parametrize("geo", [
    ((5, 6, 9, 7), (4, 3, 3, 2), (2, 1), ((1, 0), (2, 1)), (1, 2), 2),
    ((3, 4, 8, 8), (6, 4, 1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    ((2, 3, 11, 6), (5, 3, 3, 3), (3, 2), ((1, 1), (1, 1)), (2, 1), 1),
    ((2, 4, 6, 5), (4, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 4),
])
def test_conv2d_and_gradients_match_direct_loops(rng, monkeypatch, chunk, geo):
    monkeypatch.setattr(cpu_conv, "_CHUNK_BYTES", chunk)
    x_shape, w_shape, stride, padding, dilation, groups = geo
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)
    y = cpu_conv.conv2d(x, w, b, stride, padding, dilation, groups)
    ref = _conv_ref(x.astype(np.float64), w.astype(np.float64), stride, padding, dilation, groups)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, ref + b[:, None, None], rtol=1e-5, atol=1e-4)
    # gradients: <g, conv(x, w)> is linear in x and in w; compare against finite sums of the reference
    g = rng.standard_normal(ref.shape)
    gx = cpu_conv.conv2d_input_grad(g.astype(np.float32), w, x_shape[2:], stride, padding, dilation, groups)
    gw = cpu_conv.conv2d_weight_grad(g.astype(np.float32), x, w_shape, stride, padding, dilation, groups)
    dx, dw = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    lin_x = np.sum(g * _conv_ref(dx, w.astype(np.float64), stride, padding, dilation, groups))
    lin_w = np.sum(g * _conv_ref(x.astype(np.float64), dw, stride, padding, dilation, groups))
    assert gx.shape == x_shape and gw.shape == w_shape
    np.testing.assert_allclose(np.sum(gx * dx), lin_x, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(np.sum(gw * dw), lin_w, rtol=1e-4, atol=1e-3)


def _maxpool_ref(x, k, s, p, d, ho, wo):
    """PyTorch's CPU loop: the first maximum wins, a NaN replaces the running maximum."""
    n, c, h, w = x.shape
    val = np.full((n, c, ho, wo), -np.inf, x.dtype)
    idx = np.zeros((n, c, ho, wo), np.int64)
    for a in range(n):
        for b in range(c):
            for r in range(ho):
                for q in range(wo):
                    best, arg = -np.inf, None
                    for i in range(k[0]):
                        for j in range(k[1]):
                            y, z = r * s[0] - p[0] + i * d[0], q * s[1] - p[1] + j * d[1]
                            if 0 <= y < h and 0 <= z < w:
                                arg = y * w + z if arg is None else arg
                                v = x[a, b, y, z]
                                if v > best or np.isnan(v):
                                    best, arg = v, y * w + z
                    val[a, b, r, q], idx[a, b, r, q] = best, arg
    return val, idx


@pytest.mark.parametrize("k, s, p, d, ceil", [((2, 2), (2, 2), (0, 0), (1, 1), False),
                                              ((3, 2), (2, 1), (1, 1), (1, 2), True),
                                              ((3, 3), (1, 2), (1, 0), (2, 1), False)])
def test_max_pool2d_ties_nan_and_padding_as_pytorch(rng, k, s, p, d, ceil):
    x = rng.integers(-2, 3, (2, 3, 7, 9)).astype(np.float32)  # many ties
    x[rng.random(x.shape) < 0.1] = np.nan
    x[rng.random(x.shape) < 0.2] = -np.inf
    val, idx = cpu_nn.max_pool2d(x, k, s, p, d, ceil)
    ref_val, ref_idx = _maxpool_ref(x, k, s, p, d, *val.shape[2:])
    assert np.array_equal(val, ref_val, equal_nan=True)
    assert np.array_equal(idx, ref_idx)
    g = rng.standard_normal(val.shape).astype(np.float32)
    gx = cpu_nn.max_pool2d_backward(g, idx, x.shape)
    ref = np.zeros(x.size // (2 * 3) * 6)
    np.add.at(ref, (idx + np.arange(6).reshape(2, 3, 1, 1) * 63).reshape(-1), g.reshape(-1).astype(np.float64))
    np.testing.assert_allclose(gx.reshape(-1), ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_and_its_gradient_against_float64_formulas(rng, approximate):
    x = (rng.standard_normal(5001) * 4).astype(np.float32)
    g = rng.standard_normal(5001).astype(np.float32)
    xd = x.astype(np.float64)
    if approximate == "none":
        cdf = 0.5 * (1 + _erf(xd / math.sqrt(2)))
        ref, dref = xd * cdf, cdf + xd * np.exp(-0.5 * xd * xd) / math.sqrt(2 * math.pi)
    else:
        k = math.sqrt(2 / math.pi)
        t = np.tanh(k * (xd + 0.044715 * xd ** 3))
        ref = 0.5 * xd * (1 + t)
        dref = 0.5 * (1 + t) + 0.5 * xd * (1 - t * t) * k * (1 + 3 * 0.044715 * xd * xd)
    y, saved = cpu_fused.gelu(x, approximate)
    saved_before = saved.copy()
    gx = cpu_fused.gelu_backward(g, x, approximate, saved)
    assert y.dtype == gx.dtype == np.float32
    np.testing.assert_allclose(y, ref, rtol=2e-6, atol=2e-7)
    np.testing.assert_allclose(gx, g * dref, rtol=2e-5, atol=1e-5)  # tanh form: 1 + t cancels for x << 0
    # the forward's saved Phi (or tanh) gives the same gradient as recomputing it, and is not modified
    # (a retained graph runs the backward again on it)
    np.testing.assert_array_equal(gx, cpu_fused.gelu_backward(g, x, approximate))
    np.testing.assert_array_equal(saved, saved_before)


def test_erf_in_blocks_matches_one_pass():
    """erf of an array past one block (and a partial last block) equals the per-block formula."""
    from tritorch._dispatch.cpu import elementwise as cpu_elementwise
    n = 2 * cpu_elementwise._ERF_BLOCK + 7
    x = np.linspace(-5, 5, n, dtype=np.float32).reshape(-1, 1)
    np.testing.assert_array_equal(erf(x), cpu_elementwise._erf32(x.reshape(-1)).reshape(-1, 1))


@pytest.fixture(params=["numpy", "jit"])
def norm_path(request, monkeypatch):
    """layer_norm through norm.py's numpy forms, or through jit.py's compiled loops (the [jit] extra)."""
    from tritorch._dispatch.cpu import jit
    if request.param == "numpy":
        monkeypatch.setattr(jit, "_kernels", False)
    elif not jit.available():
        pytest.skip("numba is not installed (pip install -e '.[jit]')")
    return request.param


@pytest.mark.parametrize("with_weight", [True, False])
def test_layer_norm_backward_against_float64_autodiff_formula(rng, with_weight, norm_path):
    x = (rng.standard_normal((3, 5, 4, 6)) * 3 + 1).astype(np.float32)
    w = rng.standard_normal((4, 6)).astype(np.float32) if with_weight else None
    g = rng.standard_normal(x.shape).astype(np.float32)
    y, mean, rstd = cpu_norm.layer_norm(x, 2, w, None, 1e-5)
    gx, gw, gb = cpu_norm.layer_norm_backward(g, x, w, mean, rstd, 2, with_weight, True)
    # float64 reference: gradient of sum(g * y) by central differences of the exact formula per row is slow;
    # use the closed form on float64 inputs instead, derived independently as the Jacobian-vector product
    xd, gd = x.astype(np.float64).reshape(15, 24), g.astype(np.float64).reshape(15, 24)
    wd = w.astype(np.float64).reshape(24) if with_weight else np.ones(24)
    mu = xd.mean(1, keepdims=True)
    sig = np.sqrt(((xd - mu) ** 2).mean(1, keepdims=True) + 1e-5)
    xhat = (xd - mu) / sig
    jac = (np.eye(24)[None] - 1 / 24 - xhat[:, :, None] * xhat[:, None, :] / 24) / sig[:, :, None]  # d xhat_j / d x_i
    ref_gx = np.einsum("nj,nij->ni", gd * wd, jac)
    np.testing.assert_allclose(gx.reshape(15, 24), ref_gx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gb, gd.sum(0).reshape(4, 6), rtol=1e-5, atol=1e-5)
    if with_weight:
        np.testing.assert_allclose(gw, (gd * xhat).sum(0).reshape(4, 6), rtol=1e-4, atol=1e-5)
    else:
        assert gw is None


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
def test_layer_norm_row_blocks_match_whole_array_formula(rng, dtype, norm_path):
    """Many short rows (several cache blocks, the last one partial) from a transposed, non-contiguous
    input: every block is normalised with its own rows' statistics."""
    c = 70
    n = 2 * (cpu_norm._BLOCK // c) + 13
    x = (rng.standard_normal((c, n)) * 2 + 0.5).astype(dtype).T
    w, b = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    g = rng.standard_normal((n, c)).astype(dtype)
    y, mean, rstd = cpu_norm.layer_norm(x, 1, w, b, 1e-5)
    gx, gw, gb = cpu_norm.layer_norm_backward(g, x, w, mean, rstd, 1, True, True)
    assert y.dtype == gx.dtype == dtype and mean.shape == rstd.shape == (n, 1)
    xd, gd, wd = x.astype(np.float64), g.astype(np.float64), w.astype(np.float64)
    mu = xd.mean(1, keepdims=True)
    rs = 1 / np.sqrt(((xd - mu) ** 2).mean(1, keepdims=True) + 1e-5)
    xhat = (xd - mu) * rs
    dy = gd * wd
    ref_gx = rs * (dy - dy.mean(1, keepdims=True) - xhat * (xhat * dy).mean(1, keepdims=True))
    tol = 2e-2 if dtype == np.float16 else 1e-4
    np.testing.assert_allclose(y, xhat * wd + b, rtol=tol, atol=tol)
    np.testing.assert_allclose(gx, ref_gx, rtol=tol, atol=tol)
    np.testing.assert_allclose(gw, (gd * xhat).sum(0), rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(gb, gd.sum(0), rtol=tol, atol=tol * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_nan_and_inf_rows_stay_in_their_rows(dtype, norm_path):
    """A NaN or inf in one row makes that row's output NaN, as PyTorch's; the other rows are exact."""
    x = np.arange(24, dtype=dtype).reshape(4, 6)
    x[1, 2], x[2, 0] = np.nan, np.inf
    y, mean, rstd = cpu_norm.layer_norm(x, 1, None, None, 1e-5)
    assert np.isnan(y[1]).all() and np.isnan(y[2]).all()
    for i in (0, 3):
        ref = (x[i] - x[i].mean()) / np.sqrt(x[i].var() + 1e-5)
        np.testing.assert_allclose(y[i], ref, rtol=1e-5)
    gx, gw, gb = cpu_norm.layer_norm_backward(np.ones_like(x), x, np.ones(6, dtype), mean, rstd, 1, True, True)
    assert np.isnan(gx[1]).all() and np.isfinite(gx[0]).all() and np.isnan(gw).all() and (gb == 4).all()


@pytest.mark.parametrize("m, k, n", [(8, 256, 256), (64, 784, 256), (96, 300, 513), (7, 784, 256), (64, 255, 256),
                                     (97, 256, 256), (1, 784, 1024)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_matches_x_at_w_t_plus_b_in_either_gemm_orientation(rng, m, k, n, dtype):
    """Short float32 inputs take OpenBLAS's faster (w @ x.T).T: the same values as x @ w.T + b, laid out
    C-contiguous like every other result (a transposed view would change what .view() accepts)."""
    x = rng.standard_normal((m, k)).astype(dtype)
    w, b = rng.standard_normal((n, k)).astype(dtype), rng.standard_normal(n).astype(dtype)
    got = cpu_nn.linear(x, w, b)
    assert got.shape == (m, n) and got.dtype == dtype and got.flags.c_contiguous
    want = x.astype(np.float64) @ w.T.astype(np.float64) + b
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(got, x @ w.T + b, rtol=1e-6, atol=1e-5)
    x3 = x.reshape(1, m, k)  # leading dims fold into the rows
    np.testing.assert_array_equal(cpu_nn.linear(x3, w, b), got.reshape(1, m, n))


@pytest.mark.parametrize("shape", [(64, 256), (3, 512), (5, 7), (256,), (2, 128, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_relu_rows_of_zeros_path_equals_np_maximum(rng, shape, dtype):
    """relu through rows of 256 zeros (contiguous floats whose size 256 divides) or plainly: max(x, 0)
    either way, NaN kept, -inf to 0, the input's shape and dtype, a transposed view too."""
    from tritorch._dispatch.cpu.elementwise import unary
    from tritorch._dispatch.cpu.fused import relu_backward
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    if dtype != np.int64:
        x.flat[:3] = [np.nan, -np.inf, np.inf]
    for a in (x, x.T):
        got = unary("relu", a)
        assert got.shape == a.shape and got.dtype == a.dtype
        np.testing.assert_array_equal(got, np.maximum(a, 0))
    if dtype != np.int64:
        g = rng.standard_normal(shape).astype(dtype)
        y = unary("relu", x)
        np.testing.assert_array_equal(relu_backward(g, y), np.where(y > 0, g, 0))
