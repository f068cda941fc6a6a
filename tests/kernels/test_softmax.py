import importlib

import numpy as np
import pytest

from tritorch.kernels import log_softmax, softmax, softmax_backward, softmax_backward_reference, softmax_reference

cuda = importlib.import_module("tritorch.cuda")
# Fully masked rows compute -inf - (-inf) = NaN on purpose (PyTorch's result); numpy, which runs the
# interpreted kernel, warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
DTYPES = {"float32": np.dtype(np.float32), "float16": np.dtype(np.float16), "bfloat16": cuda.as_dtype("bfloat16")}
LOOPED = dict(BLOCK_N=8, num_warps=4)   # rows longer than 8 columns take the online path


def assert_close_finite(assert_close, actual, expected, kind):
    """Same non-finite pattern, and close where finite."""
    actual = actual.numpy().astype(np.float64)
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    assert np.array_equal(np.isneginf(actual), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert_close(actual[finite], expected[finite], kind)


@pytest.mark.parametrize("config", [None, LOOPED], ids=["one-block", "looped"])
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("name", DTYPES)
def test_forward_backward(rng, assert_close, name, log, config):
    dtype = DTYPES[name]
    x = (rng.standard_normal((7, 37)) * 3).astype(dtype)
    y = softmax(cuda.to_device(x), log=log, config=config)
    assert y.dtype == dtype and y.shape == x.shape
    assert_close(y, softmax_reference(x, log=log), name)
    g = rng.standard_normal(x.shape).astype(dtype)
    dx = softmax_backward(cuda.to_device(g), y, log=log, config=config)
    assert_close(dx, softmax_backward_reference(g, y.numpy(), log=log), name)


@pytest.mark.parametrize("config", [None, LOOPED], ids=["one-block", "looped"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_any_dim_scale_and_masks(rng, assert_close, dim, config):
    x = rng.standard_normal((5, 17, 6)).astype(np.float32)
    bool_mask = rng.random((17, 1)) > 0.3
    float_mask = rng.standard_normal((1, 17, 6)).astype(np.float32)
    for mask in (bool_mask, float_mask):
        y = softmax(cuda.to_device(x), dim, scale=0.7, mask=cuda.to_device(mask), config=config)
        assert_close_finite(assert_close, y, softmax_reference(x, dim, scale=0.7, mask=mask), "float32")
    y = log_softmax(cuda.to_device(x), dim, scale=0.7, config=config)
    g = rng.standard_normal(x.shape).astype(np.float32)
    dx = softmax_backward(cuda.to_device(g), y, dim, log=True, scale=0.7, config=config)
    assert_close(dx, softmax_backward_reference(g, y.numpy(), dim, log=True, scale=0.7), "float32")


@pytest.mark.parametrize("config", [None, dict(BLOCK_N=4, num_warps=1)], ids=["one-block", "looped"])
def test_causal(rng, assert_close, config):
    x = rng.standard_normal((2, 9, 11)).astype(np.float16)
    assert_close(softmax(cuda.to_device(x), causal=True, config=config), softmax_reference(x, causal=True), "float16")


@pytest.mark.parametrize("config", [None, dict(BLOCK_N=2, num_warps=1)], ids=["one-block", "looped"])
def test_fully_masked_rows_are_nan_like_pytorch(config):
    mask = np.array([[True, False, True], [False, False, False]])
    y = softmax(cuda.zeros((2, 3)), mask=cuda.to_device(mask), config=config).numpy()
    np.testing.assert_allclose(y[0], [0.5, 0.0, 0.5])
    assert np.isnan(y[1]).all()


def test_strided_input_and_poisoned_out(rng, assert_close):
    host = rng.standard_normal((12, 30)).astype(np.float32)
    x = cuda.to_device(host)[::2, 3:26].T                  # (23, 6), strides (1, 60)
    buffer = cuda.full((23, 12), np.nan, np.float32)
    out = buffer[:, ::2]
    assert softmax(x, dim=0, out=out) is out
    assert_close(out, softmax_reference(host[::2, 3:26].T, 0), "float32")
    assert np.isnan(buffer.numpy()[:, 1::2]).all(), "softmax wrote outside out's view"


def test_layout_that_needs_a_copy(rng, assert_close):
    host = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    x = cuda.to_device(host).permute(2, 0, 3, 1)           # (5, 3, 6, 4), rows need 3 strides
    expected = softmax_reference(host.transpose(2, 0, 3, 1), 1)
    assert_close(softmax(x, dim=1), expected, "float32")
    out = cuda.full(x.shape, np.nan, np.float32).permute(1, 3, 0, 2).permute(2, 0, 3, 1)
    assert_close(softmax(x, dim=1, out=out), expected, "float32")


@pytest.mark.parametrize("shape", [(1, 1), (1, 33), (67, 1), (3, 0), (0, 5)])
def test_edge_shapes(rng, assert_close, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    assert_close(softmax(cuda.to_device(x)), softmax_reference(x), "float32")


def test_zero_dim(assert_close):
    y = softmax(cuda.to_device(np.float32(3.0)))
    assert y.shape == () and y.numpy() == 1.0
    assert softmax_backward(cuda.to_device(np.float32(2.0)), y).numpy() == 0.0


def test_numpy_inputs_use_the_twin(rng):
    x = rng.standard_normal((3, 4)).astype(np.float16)
    y = softmax(x, dim=0)
    assert isinstance(y, np.ndarray) and y.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float32).sum(axis=0), 1, rtol=1e-2)


def test_errors():
    with pytest.raises(TypeError, match="int32"):
        softmax(cuda.zeros((2, 3), np.int32))
    with pytest.raises(ValueError, match="causal"):
        softmax(cuda.zeros((2, 3)), dim=0, causal=True)
    with pytest.raises(ValueError, match=r"mask of shape \(4,\)"):
        softmax(cuda.zeros((2, 3)), mask=cuda.zeros((4,), np.bool_))
    with pytest.raises(TypeError, match="mask"):
        softmax(cuda.zeros((2, 3)), mask=cuda.zeros((3,), np.int64))
    with pytest.raises(ValueError, match="dim 2"):
        softmax(cuda.zeros((2, 3)), dim=2)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        softmax_backward(cuda.zeros((2, 3)), cuda.zeros((3, 2)))
    with pytest.raises(TypeError, match="host"):
        softmax(cuda.zeros((2, 3)), mask=np.ones((2, 3), bool))
