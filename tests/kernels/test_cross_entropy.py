import gc
import importlib

import numpy as np
import pytest

from tritorch.kernels import (cross_entropy, cross_entropy_backward, cross_entropy_backward_reference,
                              cross_entropy_reference, linear_cross_entropy, linear_cross_entropy_reference)

cuda = importlib.import_module("tritorch.cuda")
DTYPES = {"float32": np.dtype(np.float32), "float16": np.dtype(np.float16), "bfloat16": cuda.as_dtype("bfloat16")}
LOOPED = dict(BLOCK_V=8, num_warps=1)  # a 37-class row takes 5 blocks


def problem(rng, dtype, N=9, V=37, magnitude=3.0):
    logits = (rng.standard_normal((N, V)) * magnitude).astype(dtype)
    target = rng.integers(0, V, N)
    target[N // 3] = -100
    return logits, target


def run(logits, target, grad, config=LOOPED, **kwargs):
    loss, lse = cross_entropy(cuda.to_device(logits), cuda.to_device(target), return_lse=True, config=config, **kwargs)
    grad = cuda.to_device(grad) if isinstance(grad, np.ndarray) else grad
    dx = cross_entropy_backward(grad, cuda.to_device(logits), cuda.to_device(target), lse, config=config, **kwargs)
    return loss, dx


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", DTYPES)
def test_forward_backward(rng, assert_close, name, reduction, smoothing):
    logits, target = problem(rng, DTYPES[name])
    grad = rng.standard_normal(9).astype(np.float32) if reduction == "none" else 1.5
    loss, dx = run(logits, target, grad, reduction=reduction, label_smoothing=smoothing)
    assert loss.dtype == logits.dtype and loss.shape == ((9,) if reduction == "none" else ())
    assert_close(loss, cross_entropy_reference(logits, target, -100, smoothing, reduction), name)
    assert dx.dtype == logits.dtype and dx.shape == logits.shape
    assert_close(dx, cross_entropy_backward_reference(grad, logits, target, -100, smoothing, reduction), name)
    assert (dx.numpy()[3] == 0).all()  # the ignored row


@pytest.mark.parametrize("name", ["float32", "float16"])
def test_large_magnitude_logits(rng, assert_close, name):
    logits, target = problem(rng, DTYPES[name], magnitude=1e4)
    loss, dx = run(logits, target, np.ones(9, np.float32), reduction="none")
    assert np.isfinite(loss.numpy()).all() and np.isfinite(dx.numpy()).all()
    assert_close(loss, cross_entropy_reference(logits, target, reduction="none"), name)
    expected = cross_entropy_backward_reference(np.ones(9), logits, target, reduction="none")
    # dx = exp(x - lse) - onehot with a float32 LSE near |x| ~ 3e4: the exponent is exact only to
    # half an ulp of the LSE (~1e-3), so probabilities carry that relative error (PyTorch's
    # log_softmax keeps max and log-sum apart and does not); the loss itself stays at 1e-5.
    ulp = float(np.spacing(np.abs(logits.astype(np.float32)).max()))
    assert np.abs(dx.numpy().astype(np.float64) - expected).max() <= max(ulp, 1e-5)


def test_vocabulary_larger_than_the_default_block(rng, assert_close):
    logits, target = problem(rng, np.float32, N=3, V=5000)
    target[1] = 7
    loss, dx = run(logits, target, 1.0, config=None, ignore_index=7)
    assert_close(loss, cross_entropy_reference(logits, target, ignore_index=7), "float32")
    assert_close(dx, cross_entropy_backward_reference(1.0, logits, target, ignore_index=7), "float32")


def test_inplace_backward_reuses_the_logits_buffer(rng, assert_close):
    logits, target = problem(rng, np.float16, N=8, V=40)
    x, t = cuda.to_device(logits), cuda.to_device(target)
    loss, lse = cross_entropy(x, t, label_smoothing=0.1, return_lse=True, config=LOOPED)
    gc.collect()
    before = cuda.memory_allocated()
    dx = cross_entropy_backward(2.0, x, t, lse, label_smoothing=0.1, inplace_backward=True, config=LOOPED)
    gc.collect()
    assert dx is x and cuda.memory_allocated() - before < logits.nbytes  # no (N, V) allocation
    assert_close(x, cross_entropy_backward_reference(2.0, logits, target, label_smoothing=0.1), "float16")


def test_strided_logits_and_poisoned_out(rng, assert_close):
    host, target = problem(rng, np.float32, N=9, V=37)
    logits = cuda.to_device(np.ascontiguousarray(host.T)).T        # (9, 37), strides (1, 9)
    loss, lse = cross_entropy(logits, cuda.to_device(target), reduction="sum", return_lse=True, config=LOOPED)
    assert_close(loss, cross_entropy_reference(host, target, reduction="sum"), "float32")
    buffer = cuda.full((9, 74), np.nan, np.float32)
    out = buffer[:, ::2]
    dx = cross_entropy_backward(cuda.to_device(np.float32(0.5)), logits, cuda.to_device(target), lse,
                                reduction="sum", out=out, config=LOOPED)
    assert dx is out
    assert_close(out, cross_entropy_backward_reference(0.5, host, target, reduction="sum"), "float32")
    assert np.isnan(buffer.numpy()[:, 1::2]).all(), "cross_entropy_backward wrote outside out's view"


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # 0 / 0 and NaN, on purpose
def test_ignored_and_out_of_range_targets():
    logits = cuda.to_device(np.zeros((3, 4), np.float32))
    ignored = cuda.to_device(np.array([-100, -100, -100]))
    assert np.isnan(cross_entropy(logits, ignored).numpy())       # mean over no rows: 0 / 0, as PyTorch
    assert cross_entropy(logits, ignored, reduction="sum").numpy() == 0
    bad = cuda.to_device(np.array([1, 4, -100], np.int32))
    loss, lse = cross_entropy(logits, bad, reduction="none", return_lse=True)
    np.testing.assert_allclose(loss.numpy()[[0, 2]], [np.log(4), 0], rtol=1e-6)
    assert np.isnan(loss.numpy()[1])
    dx = cross_entropy_backward(cuda.to_device(np.ones(3, np.float32)), logits, bad, lse, reduction="none").numpy()
    assert np.isnan(dx[1]).all() and np.isfinite(dx[[0, 2]]).all()


@pytest.mark.parametrize("reduction,chunk_size", [("mean", 5), ("sum", 13), ("mean", 64)])
def test_linear_cross_entropy(rng, assert_close, reduction, chunk_size):
    hidden = rng.standard_normal((13, 16)).astype(np.float32)
    weight = rng.standard_normal((37, 16)).astype(np.float32)
    target = rng.integers(0, 37, 13)
    target[4] = -100
    loss, dh, dw = linear_cross_entropy(cuda.to_device(hidden), cuda.to_device(weight), cuda.to_device(target),
                                        label_smoothing=0.1, reduction=reduction, chunk_size=chunk_size,
                                        config=dict(BLOCK_V=16, num_warps=1))
    expected = linear_cross_entropy_reference(hidden, weight, target, label_smoothing=0.1, reduction=reduction)
    for actual, wanted in zip((loss, dh, dw), expected):
        assert_close(actual, wanted, "float32")
    none, no_dh, no_dw = linear_cross_entropy(cuda.to_device(hidden), cuda.to_device(weight), cuda.to_device(target),
                                              reduction="none", compute_grad=False, chunk_size=chunk_size)
    assert no_dh is None and no_dw is None
    assert_close(none, cross_entropy_reference(hidden.astype(np.float64) @ weight.T, target, reduction="none"),
                 "float32")


def test_linear_cross_entropy_bfloat16(rng, assert_close):
    bf16 = DTYPES["bfloat16"]
    hidden, weight = rng.standard_normal((6, 16)).astype(bf16), rng.standard_normal((20, 16)).astype(bf16)
    target = rng.integers(0, 20, 6)
    loss, dh, dw = linear_cross_entropy(cuda.to_device(hidden), cuda.to_device(weight), cuda.to_device(target),
                                        chunk_size=4)
    assert dh.dtype == bf16 and dw.dtype == bf16
    for actual, wanted in zip((loss, dh, dw), linear_cross_entropy_reference(hidden, weight, target)):
        assert_close(actual, wanted, "bfloat16")


def test_numpy_inputs_use_the_twin(rng):
    logits, target = problem(rng, np.float32)
    loss = cross_entropy(logits, target)
    assert isinstance(loss, np.ndarray) and loss.dtype == np.float32
    np.testing.assert_allclose(loss, cross_entropy_reference(logits, target), rtol=1e-6)


def test_errors():
    logits, target = cuda.zeros((3, 4)), cuda.to_device(np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="2-D"):
        cross_entropy(cuda.zeros((4,)), target)
    with pytest.raises(TypeError, match="integer class indices, got float32"):
        cross_entropy(logits, cuda.zeros((3,)))
    with pytest.raises(ValueError, match=r"target must have shape \(3,\)"):
        cross_entropy(logits, cuda.to_device(np.array([0, 1])))
    with pytest.raises(ValueError, match="mean_sum is not a valid value for reduction"):
        cross_entropy(logits, target, reduction="mean_sum")
    with pytest.raises(ValueError, match="label_smoothing"):
        cross_entropy(logits, target, label_smoothing=1.5)
    loss, lse = cross_entropy(logits, target, return_lse=True)
    with pytest.raises(ValueError, match=r"grad_loss must have shape \(3,\)"):
        cross_entropy_backward(cuda.zeros(()), logits, target, lse, reduction="none")
    with pytest.raises(ValueError, match="'mean' or 'sum'"):
        linear_cross_entropy(logits, cuda.zeros((5, 4)), target, reduction="none")
