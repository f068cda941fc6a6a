import importlib

import numpy as np
import pytest

from tritorch.kernels import (layer_norm, layer_norm_backward, layer_norm_backward_reference, layer_norm_reference,
                              rms_norm, rms_norm_backward, rms_norm_reference)

cuda = importlib.import_module("tritorch.cuda")
DTYPES = {"float32": np.dtype(np.float32), "float16": np.dtype(np.float16), "bfloat16": cuda.as_dtype("bfloat16")}
LOOPED = dict(BLOCK_N=8, ROWS_PER_PROGRAM=3, num_warps=1)  # rows of > 8 columns loop; 3 rows per partial sum


def forward(x, n, w, b, rms, residual=None, config=None, eps=1e-5, out=None):
    dev = lambda a: None if a is None else cuda.to_device(a)  # noqa: E731
    if rms:
        return rms_norm(dev(x), n, dev(w), eps, residual=dev(residual), out=out, config=config)
    return layer_norm(dev(x), n, dev(w), dev(b), eps, residual=dev(residual), out=out, config=config)


@pytest.mark.parametrize("residual", [False, True], ids=["plain", "residual"])
@pytest.mark.parametrize("config", [None, LOOPED], ids=["one-block", "looped"])
@pytest.mark.parametrize("rms", [False, True], ids=["layer_norm", "rms_norm"])
@pytest.mark.parametrize("name", DTYPES)
def test_forward_backward(rng, assert_close, name, rms, config, residual):
    dtype = DTYPES[name]
    x = (rng.standard_normal((7, 37)) * 2 + 0.5).astype(dtype)
    r = rng.standard_normal(x.shape).astype(dtype) if residual else None
    w = rng.standard_normal(37).astype(dtype)
    b = None if rms else rng.standard_normal(37).astype(dtype)
    result = forward(x, 37, w, b, rms, r, config)
    ref = (rms_norm_reference(x, 37, w, 1e-5, residual=r) if rms
           else layer_norm_reference(x, 37, w, b, 1e-5, residual=r))
    assert result.output.dtype == dtype and result.rstd.dtype == np.float32 and result.rstd.shape == (7,)
    assert_close(result.output, ref.output, name)
    assert_close(result.rstd, ref.rstd, "float32")
    if rms:
        assert result.mean is None
    else:
        assert_close(result.mean, ref.mean, "float32")
    if residual:
        assert_close(result.pre_norm, ref.pre_norm, name)
    else:
        assert result.pre_norm is None
    h = result.pre_norm if residual else cuda.to_device(x)
    g = rng.standard_normal(x.shape).astype(dtype)
    if rms:
        dx, dw = rms_norm_backward(cuda.to_device(g), h, result.rstd, cuda.to_device(w), config=config)
        db = None
    else:
        dx, dw, db = layer_norm_backward(cuda.to_device(g), h, result.mean, result.rstd, cuda.to_device(w),
                                         has_bias=True, config=config)
    rdx, rdw, rdb = layer_norm_backward_reference(g, h.numpy(), 37, w, 1e-5, rms=rms)
    assert dx.dtype == dtype and dw.dtype == dtype and dw.shape == (37,)
    assert_close(dx, rdx, name)
    assert_close(dw, rdw, name)
    if not rms:
        assert_close(db, rdb, name)


@pytest.mark.parametrize("config", [None, dict(BLOCK_N=16, ROWS_PER_PROGRAM=2, num_warps=1)],
                         ids=["one-block", "looped"])
def test_multi_dim_shape_no_affine_and_grad_pre_norm(rng, assert_close, config):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    r = rng.standard_normal(x.shape).astype(np.float32)
    result = layer_norm(cuda.to_device(x), (4, 5), residual=cuda.to_device(r), config=config)
    ref = layer_norm_reference(x, (4, 5), residual=r)
    assert result.mean.shape == (2, 3)
    assert_close(result.output, ref.output, "float32")
    g, gh = rng.standard_normal(x.shape).astype(np.float32), rng.standard_normal(x.shape).astype(np.float32)
    dx, dw, db = layer_norm_backward(cuda.to_device(g), result.pre_norm, result.mean, result.rstd,
                                     grad_pre_norm=cuda.to_device(gh), normalized_shape=(4, 5), config=config)
    assert dw is None and db is None
    assert_close(dx, layer_norm_backward_reference(g, ref.pre_norm, (4, 5))[0] + gh, "float32")


def test_large_mean_is_stable(rng, assert_close):
    """A naive E[x^2] - E[x]^2 variance loses every digit here; two passes about the mean do not."""
    x = (3000.0 + rng.standard_normal((3, 50))).astype(np.float32)
    for config in (None, LOOPED):
        assert_close(layer_norm(cuda.to_device(x), 50, config=config).output, layer_norm_reference(x, 50).output,
                     "float16")


def test_wide_rows_take_the_looped_default(rng, assert_close):
    x = rng.standard_normal((2, 20000)).astype(np.float16)
    w = rng.standard_normal(20000).astype(np.float32)
    result = rms_norm(cuda.to_device(x), 20000, cuda.to_device(w))
    assert_close(result.output, rms_norm_reference(x, 20000, w).output, "float16")
    g = rng.standard_normal(x.shape).astype(np.float16)
    dx, dw = rms_norm_backward(cuda.to_device(g), cuda.to_device(x), result.rstd, cuda.to_device(w))
    rdx, rdw, _ = layer_norm_backward_reference(g, x, 20000, w, np.finfo(np.float16).eps, rms=True)
    assert dw.dtype == np.float32
    assert_close(dx, rdx, "float16")
    assert_close(dw, rdw, "float16")


@pytest.mark.parametrize("config", [None, LOOPED], ids=["one-block", "looped"])
def test_strided_input_and_poisoned_out(rng, assert_close, config):
    host = rng.standard_normal((6, 40)).astype(np.float32)
    x = cuda.to_device(host)[::2, 1:30]                     # (3, 29), row stride 80
    buffer = cuda.full((3, 58), np.nan, np.float32)
    out = buffer[:, ::2]
    result = layer_norm(x, 29, out=out, config=config)
    assert result.output is out
    assert_close(out, layer_norm_reference(host[::2, 1:30], 29).output, "float32")
    assert np.isnan(buffer.numpy()[:, 1::2]).all(), "layer_norm wrote outside out's view"
    transposed = cuda.full((29, 3), np.nan, np.float32).T   # no 2-D row view: computed, then copied
    layer_norm(x, 29, out=transposed, config=config)
    assert_close(transposed, layer_norm_reference(host[::2, 1:30], 29).output, "float32")


@pytest.mark.parametrize("rows", [1, 4, 5])
def test_partial_sums_over_any_row_count(rng, assert_close, rows):
    x, g = rng.standard_normal((rows, 11)), rng.standard_normal((rows, 11))
    x, g = x.astype(np.float32), g.astype(np.float32)
    w = rng.standard_normal(11).astype(np.float32)
    result = layer_norm(cuda.to_device(x), 11, cuda.to_device(w))
    config = dict(BLOCK_N=16, ROWS_PER_PROGRAM=2, num_warps=1)
    _, dw, db = layer_norm_backward(cuda.to_device(g), cuda.to_device(x), result.mean, result.rstd,
                                    cuda.to_device(w), has_bias=True, config=config)
    _, rdw, rdb = layer_norm_backward_reference(g, x, 11, w)
    assert_close(dw, rdw, "float32")
    assert_close(db, rdb, "float32")


def test_numpy_inputs_use_the_twin(rng):
    x = rng.standard_normal((3, 8)).astype(np.float16)
    result = layer_norm(x, 8)
    assert isinstance(result.output, np.ndarray) and result.output.dtype == np.float16
    np.testing.assert_allclose(result.output.astype(np.float64).mean(axis=1), 0, atol=1e-2)


def test_errors():
    x = cuda.zeros((2, 3))
    with pytest.raises(ValueError, match=r"normalized_shape \(4,\).*\(2, 3\)"):
        layer_norm(x, 4)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        layer_norm(x, 3, cuda.zeros((4,)))
    with pytest.raises(TypeError, match="int32"):
        rms_norm(cuda.zeros((2, 3), np.int32), 3)
    with pytest.raises(ValueError, match="residual"):
        layer_norm(x, 3, residual=cuda.zeros((2, 4)))
    with pytest.raises(ValueError, match="float32 of shape"):
        layer_norm_backward(x, x, cuda.zeros((2,)), cuda.zeros((3,)))
