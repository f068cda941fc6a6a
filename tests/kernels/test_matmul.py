import gc
import importlib

import numpy as np
import pytest

from tritorch.kernels import matmul, matmul_backward, matmul_backward_reference, matmul_reference

cuda = importlib.import_module("tritorch.cuda")
BF16 = cuda.as_dtype("bfloat16")
DTYPES = {"float32": np.dtype(np.float32), "float16": np.dtype(np.float16), "bfloat16": BF16}
ACTIVATIONS = ["none", "relu", "gelu", "gelu_tanh", "silu"]
SMALL = dict(BLOCK_M=16, BLOCK_N=16, BLOCK_K=16, GROUP_M=2, num_warps=4, num_stages=1)


def randn(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("name", DTYPES)
def test_fused_epilogue(rng, assert_close, name, activation):
    dtype = DTYPES[name]
    a, b = randn(rng, (33, 17), dtype), randn(rng, (17, 20), dtype)
    bias, residual = randn(rng, (20,), dtype), randn(rng, (33, 20), dtype)
    c, z = matmul(cuda.to_device(a), cuda.to_device(b), bias=cuda.to_device(bias), residual=cuda.to_device(residual),
                  activation=activation, return_preactivation=True, config=SMALL)
    expected, expected_z = matmul_reference(a, b, bias, residual, activation, return_preactivation=True)
    assert c.dtype == dtype and c.shape == (33, 20)
    assert_close(c, expected, name)
    assert_close(z, expected_z, name)


@pytest.mark.parametrize("capability", [(8, 0), (9, 0)], ids=["sm80", "sm90"])
def test_each_gpus_float32_default_with_the_full_epilogue(rng, assert_close, capability):
    """The float32 default chosen per GPU (64x128 on sm_8x, where 128x128 spilled) over ragged edges."""
    config = importlib.import_module("tritorch.kernels.matmul").matmul_default_config(200, 100, 40, np.float32,
                                                                                     capability)
    a, b = randn(rng, (200, 40), np.float32), randn(rng, (40, 100), np.float32)
    bias, residual = randn(rng, (100,), np.float32), randn(rng, (200, 100), np.float32)
    c, z = matmul(cuda.to_device(a), cuda.to_device(b), bias=cuda.to_device(bias), residual=cuda.to_device(residual),
                  activation="gelu", return_preactivation=True, config=config)
    expected, expected_z = matmul_reference(a, b, bias, residual, "gelu", return_preactivation=True)
    assert_close(c, expected, "float32")
    assert_close(z, expected_z, "float32")


@pytest.mark.parametrize("M,K,N", [(1, 1, 1), (17, 33, 67), (67, 5, 1), (16, 16, 16), (3, 40, 2)])
def test_odd_shapes(rng, assert_close, M, K, N):
    a, b = randn(rng, (M, K), np.float32), randn(rng, (K, N), np.float32)
    assert_close(matmul(cuda.to_device(a), cuda.to_device(b), config=SMALL), a @ b.astype(np.float64), "float32")


def test_tf32_and_default_config(rng, assert_close):
    a, b = randn(rng, (40, 70), np.float32), randn(rng, (70, 24), np.float32)
    expected = a.astype(np.float64) @ b
    assert_close(matmul(cuda.to_device(a), cuda.to_device(b), precision="tf32", config=SMALL), expected, "tf32")
    assert_close(matmul(cuda.to_device(a), cuda.to_device(b)), expected, "float32")  # heuristic config


def test_strided_operands_without_copies(rng, assert_close):
    a_host, b_host = randn(rng, (20, 50), np.float32), randn(rng, (31, 40), np.float32)
    a = cuda.to_device(a_host)[1::2, ::3].T          # (17, 10), strides (3, 100)
    b = cuda.to_device(b_host).T[3:13, ::-2]         # (10, 16), strides (1, -80)
    gc.collect()
    before = cuda.memory_allocated()
    c = matmul(a, b, config=SMALL)
    gc.collect()
    assert cuda.memory_allocated() - before == c.numel() * 4  # only the output was allocated
    assert_close(c, a_host[1::2, ::3].T.astype(np.float64) @ b_host.T[3:13, ::-2], "float32")


@pytest.mark.parametrize("a_shape,b_shape", [((2, 3, 9, 17), (3, 17, 5)), ((9, 17), (2, 17, 5)),
                                             ((4, 1, 9, 17), (1, 3, 17, 5)), ((2, 9, 17), (17, 5))])
def test_batched_broadcast(rng, assert_close, a_shape, b_shape):
    a, b = randn(rng, a_shape, np.float16), randn(rng, b_shape, np.float16)
    bias = randn(rng, (5,), np.float32)
    c = matmul(cuda.to_device(a), cuda.to_device(b), bias=cuda.to_device(bias), activation="silu", config=SMALL)
    assert_close(c, matmul_reference(a, b, bias, activation="silu"), "float16")


def test_batch_dims_that_need_a_loop_and_poisoned_out(rng, assert_close):
    a, b = randn(rng, (2, 3, 7, 9), np.float32), randn(rng, (2, 3, 9, 6), np.float32)
    buffer = cuda.full((3, 7, 2, 6 * 2), np.nan, np.float32)
    out = buffer[:, :, :, ::2].permute(2, 0, 1, 3)  # (2, 3, 7, 6), batch dims not mergeable
    result = matmul(cuda.to_device(a), cuda.to_device(b), out=out, config=SMALL)
    assert result is out
    assert_close(out, a.astype(np.float64) @ b, "float32")
    untouched = buffer.numpy()[:, :, :, 1::2]
    assert np.isnan(untouched).all(), "matmul wrote outside out's view"


def test_residual_broadcast_and_poisoned_out(rng, assert_close):
    a, b, r = randn(rng, (2, 19, 8), BF16), randn(rng, (8, 23), BF16), randn(rng, (19, 1), BF16)
    out = cuda.full((2, 19, 23), np.nan, BF16)
    matmul(cuda.to_device(a), cuda.to_device(b), residual=cuda.to_device(r), activation="gelu", out=out, config=SMALL)
    assert not np.isnan(out.numpy().astype(np.float32)).any()
    assert_close(out, matmul_reference(a, b, residual=r, activation="gelu"), "bfloat16")


def test_numpy_inputs_use_the_twin(rng):
    a, b = randn(rng, (5, 4), np.float32), randn(rng, (4, 3), np.float32)
    c = matmul(a, b, activation="relu")
    assert isinstance(c, np.ndarray) and c.dtype == np.float32
    np.testing.assert_allclose(c, np.maximum(a.astype(np.float64) @ b, 0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("activation", ["none", "gelu", "relu", "gelu_tanh", "silu"])
@pytest.mark.parametrize("name", DTYPES)
def test_backward(rng, assert_close, name, activation):
    dtype = DTYPES[name]
    a, b, bias = randn(rng, (21, 13), dtype), randn(rng, (13, 18), dtype), randn(rng, (18,), dtype)
    _, z = matmul(cuda.to_device(a), cuda.to_device(b), bias=cuda.to_device(bias), activation=activation,
                  return_preactivation=True, config=SMALL)
    g = randn(rng, (21, 18), dtype)
    da, db, dbias = matmul_backward(cuda.to_device(g), cuda.to_device(a), cuda.to_device(b), z,
                                    activation=activation, has_bias=True, config=SMALL)
    ref = matmul_backward_reference(g, a, b, z.numpy(), activation, has_bias=True)
    for got, want in zip((da, db, dbias), ref):
        assert got.dtype == dtype and got.shape == want.shape
        assert_close(got, want, name)


@pytest.mark.parametrize("a_shape,b_shape", [((2, 3, 9, 17), (3, 17, 5)), ((2, 9, 17), (17, 5)),
                                             ((9, 17), (2, 17, 5)), ((1, 9, 17), (4, 17, 5))])
def test_backward_broadcast(rng, assert_close, a_shape, b_shape):
    a, b = randn(rng, a_shape, np.float32), randn(rng, b_shape, np.float32)
    g = randn(rng, np.broadcast_shapes(a_shape[:-2], b_shape[:-2]) + (a_shape[-2], b_shape[-1]), np.float32)
    g_device = cuda.to_device(g.swapaxes(-1, -2).copy()).transpose(-1, -2)  # a strided grad
    da, db, dbias = matmul_backward(g_device, cuda.to_device(a), cuda.to_device(b), has_bias=True, config=SMALL)
    ref = matmul_backward_reference(g, a, b, has_bias=True)
    for got, want in zip((da, db, dbias), ref):
        assert got.shape == want.shape
        assert_close(got, want, "float32")


def test_backward_needs_preactivation(rng):
    a, b = cuda.zeros((4, 4)), cuda.zeros((4, 4))
    with pytest.raises(ValueError, match="preactivation"):
        matmul_backward(cuda.zeros((4, 4)), a, b, activation="relu")


def test_errors():
    a32, b32 = cuda.zeros((4, 5)), cuda.zeros((5, 3))
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(4, 3\)"):
        matmul(a32, cuda.zeros((4, 3)))
    with pytest.raises(TypeError, match="float16"):
        matmul(a32, cuda.zeros((5, 3), np.float16))
    with pytest.raises(TypeError, match="int32"):
        matmul(cuda.zeros((4, 5), np.int32), cuda.zeros((5, 3), np.int32))
    with pytest.raises(ValueError, match="bias"):
        matmul(a32, b32, bias=cuda.zeros((4,)))
    with pytest.raises(ValueError, match="residual"):
        matmul(a32, b32, residual=cuda.zeros((2, 3)))
    with pytest.raises(ValueError, match="out"):
        matmul(a32, b32, out=cuda.zeros((4, 4)))
    with pytest.raises(ValueError, match="batch"):
        matmul(cuda.zeros((2, 4, 5)), cuda.zeros((3, 5, 3)))
    with pytest.raises(ValueError, match="activation"):
        matmul(a32, b32, activation="tanh")
    with pytest.raises(ValueError, match="precision"):
        matmul(a32, b32, precision="fp8")
    with pytest.raises(ValueError, match="2 dims"):
        matmul(cuda.zeros((5,)), b32)
    with pytest.raises(TypeError, match="b: .*host"):
        matmul(a32, np.zeros((5, 3), np.float32))


def test_search_space_is_declared():
    from tritorch.kernels.matmul import matmul_configs
    configs = matmul_configs()
    assert configs and all({"BLOCK_M", "BLOCK_N", "BLOCK_K", "GROUP_M", "num_warps", "num_stages"} <= set(c)
                           for c in configs)
