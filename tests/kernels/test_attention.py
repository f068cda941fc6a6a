import importlib

import numpy as np
import pytest

from tritorch.kernels import (attention, attention_backward, attention_backward_reference, attention_dropout_mask,
                              attention_reference)

cuda = importlib.import_module("tritorch.cuda")
attention_default_config = importlib.import_module("tritorch.kernels.attention").attention_default_config
DTYPES = {"float32": np.dtype(np.float32), "float16": np.dtype(np.float16), "bfloat16": cuda.as_dtype("bfloat16")}
SMALL = dict(BLOCK_M=16, BLOCK_N=16, num_warps=4, num_stages=1)


def qkv(rng, dtype, B=1, H=2, H_kv=2, Lq=19, Lk=19, D=16):
    return tuple(rng.standard_normal(shape).astype(dtype)
                 for shape in ((B, H, Lq, D), (B, H_kv, Lk, D), (B, H_kv, Lk, D)))


def check(assert_close, rng, kind, q, k, v, causal=False, scale=None, mask=None, dropout_p=0.0, seed=None,
          config=SMALL):
    """Forward, LSE and all three gradients against the float64 twin (given the kernel's dropout mask)."""
    dev = lambda a: None if a is None else cuda.to_device(a)  # noqa: E731
    out, lse = attention(dev(q), dev(k), dev(v), causal, scale, dev(mask), dropout_p, seed, return_lse=True,
                         config=config)
    keep = attention_dropout_mask(out.shape[:3] + (k.shape[2],), dropout_p, seed).numpy() if dropout_p else None
    expected, expected_lse = attention_reference(q, k, v, causal, scale, mask, dropout_p, keep)
    assert out.dtype == q.dtype and out.shape == q.shape and lse.dtype == np.float32
    assert_close(out, expected, kind)
    finite = np.isfinite(expected_lse)
    assert np.array_equal(np.isposinf(lse.numpy()), ~finite)
    assert_close(lse.numpy()[finite], expected_lse[finite], "float32" if kind == "float32" else "float16")
    g = rng.standard_normal(q.shape).astype(q.dtype)
    grads = attention_backward(dev(g), dev(q), dev(k), dev(v), out, lse, causal, scale, dev(mask), dropout_p, seed,
                               config=config)
    expected_grads = attention_backward_reference(g, q, k, v, causal, scale, mask, dropout_p, keep)
    for grad, expected_grad, like in zip(grads, expected_grads, (q, k, v)):
        assert grad.shape == like.shape and grad.dtype == like.dtype
        if np.any(expected_grad):
            assert_close(grad, expected_grad, kind)
        else:  # one key per row: dq is exactly 0, the kernel's is rounding (delta - dP) * k
            assert np.abs(grad.numpy().astype(np.float64)).max() < 1e-4
    return out


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("name", DTYPES)
def test_forward_backward(rng, assert_close, name, causal):
    check(assert_close, rng, name, *qkv(rng, DTYPES[name], B=2, Lq=19, Lk=23), causal=causal)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("Lq,Lk", [(1, 1), (1, 7), (7, 19), (19, 7), (32, 32)])
def test_sequence_lengths(rng, assert_close, Lq, Lk, causal):
    """Causal with Lq != Lk is top-left aligned (torch.ones(Lq, Lk).tril()): with Lq > Lk the last
    rows see every key, with Lq < Lk later keys are never seen."""
    check(assert_close, rng, "float32", *qkv(rng, np.float32, Lq=Lq, Lk=Lk), causal=causal, scale=0.3)


@pytest.mark.parametrize("D", [16, 32, 40, 64, 128, 256])
def test_head_dims(rng, assert_close, D):
    check(assert_close, rng, "float16", *qkv(rng, np.float16, H=1, H_kv=1, Lq=7, Lk=9, D=D), causal=True)


@pytest.mark.parametrize("H_kv", [1, 2])
def test_grouped_query_attention(rng, assert_close, H_kv):
    check(assert_close, rng, "float32", *qkv(rng, np.float32, H=4, H_kv=H_kv, Lq=7, Lk=19), causal=True)


def test_bool_key_padding_mask(rng, assert_close):
    q, k, v = qkv(rng, np.float16, B=2, Lq=7, Lk=19)
    lengths = np.array([19, 5])
    mask = np.arange(19)[None, None, None, :] < lengths[:, None, None, None]   # (B, 1, 1, Lk)
    out = check(assert_close, rng, "float16", q, k, v, mask=mask)
    shorter = attention(cuda.to_device(q[1:]), cuda.to_device(k[1:, :, :5]), cuda.to_device(v[1:, :, :5]), config=SMALL)
    assert_close(out.numpy()[1:], shorter.numpy().astype(np.float64), "float16")


def test_full_bool_mask_with_fully_masked_rows(rng, assert_close):
    """A query row with no key to attend gives output 0, LSE +inf and zero, finite gradients."""
    q, k, v = qkv(rng, np.float32, B=2, H=2, Lq=7, Lk=19)
    mask = rng.random((2, 2, 7, 19)) > 0.4
    mask[1, 0, 3] = False
    out = check(assert_close, rng, "float32", q, k, v, causal=True, mask=mask)
    assert (out.numpy()[1, 0, 3] == 0).all()


def test_additive_float_mask(rng, assert_close):
    q, k, v = qkv(rng, np.float32, H=2, Lq=19, Lk=7)
    mask = rng.standard_normal((19, 7)).astype(np.float32)
    mask[::3, 2:5] = -np.inf
    check(assert_close, rng, "float32", q, k, v, mask=mask)


def test_dropout_statistics_and_reproducibility(rng):
    keep = attention_dropout_mask((2, 2, 64, 64), 0.3, seed=7).numpy()
    assert abs(keep.mean() - 0.7) < 0.02                        # 4 sigma for 16384 Bernoulli(0.7) draws
    assert not np.array_equal(keep[0, 0], keep[0, 1]) and not np.array_equal(keep[0, 0], keep[1, 0])
    assert np.array_equal(keep, attention_dropout_mask((2, 2, 64, 64), 0.3, seed=7).numpy())
    assert not np.array_equal(keep, attention_dropout_mask((2, 2, 64, 64), 0.3, seed=8).numpy())
    q, k, v = (cuda.to_device(a) for a in qkv(rng, np.float16, Lq=7, Lk=19))
    first = attention(q, k, v, dropout_p=0.5, seed=3, config=SMALL).numpy()
    assert np.array_equal(first, attention(q, k, v, dropout_p=0.5, seed=3, config=SMALL).numpy())
    assert not np.array_equal(first, attention(q, k, v, dropout_p=0.5, seed=4, config=SMALL).numpy())


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_dropout_matches_the_twin_given_the_kernel_mask(rng, assert_close, causal):
    """Forward and backward use one Philox stream: both match the twin fed the exposed mask."""
    q, k, v = qkv(rng, np.float32, H=4, H_kv=2, Lq=19, Lk=23)
    check(assert_close, rng, "float32", q, k, v, causal=causal, dropout_p=0.4, seed=1234)


def test_default_config(rng, assert_close):
    check(assert_close, rng, "float16", *qkv(rng, np.float16, Lq=19, Lk=19, D=64), causal=True, config=None)


def test_strided_inputs_and_poisoned_out(rng, assert_close):
    """q, k, v as (B, L, H, D) tensors viewed as (B, H, L, D); out a strided view of a NaN buffer."""
    host = [rng.standard_normal((2, 11, 2, 16)).astype(np.float32) for _ in range(3)]
    q, k, v = (cuda.to_device(a).permute(0, 2, 1, 3) for a in host)
    buffer = cuda.full((2, 11, 2, 32), np.nan, np.float32)
    out = buffer[..., ::2].permute(0, 2, 1, 3)
    assert attention(q, k, v, causal=True, out=out, config=SMALL) is out
    expected, _ = attention_reference(*(a.transpose(0, 2, 1, 3) for a in host), causal=True)
    assert_close(out, expected, "float32")
    assert np.isnan(buffer.numpy()[..., 1::2]).all(), "attention wrote outside out's view"


def test_numpy_inputs_use_the_twin(rng):
    q, k, v = qkv(rng, np.float16, Lq=3, Lk=5)
    out = attention(q, k, v, causal=True)
    assert isinstance(out, np.ndarray) and out.dtype == np.float16
    np.testing.assert_allclose(out[0, 0, 0], v[0, 0, 0], rtol=1e-3)  # the first query sees only key 0


def test_errors():
    q, k = cuda.zeros((1, 3, 4, 16)), cuda.zeros((1, 2, 5, 16))
    with pytest.raises(ValueError, match="multiple of the 2 key/value heads"):
        attention(q, k, k)
    with pytest.raises(ValueError, match="4-D"):
        attention(cuda.zeros((3, 4, 16)), k, k)
    with pytest.raises(TypeError, match="one dtype"):
        attention(cuda.zeros((1, 2, 4, 16), np.float16), k, k)
    with pytest.raises(ValueError, match=r"k and v must have shape \(1, H_kv, Lk, 16\)"):
        attention(cuda.zeros((1, 2, 4, 16)), k, cuda.zeros((1, 2, 5, 8)))
    with pytest.raises(ValueError, match="head_dim 512"):
        attention(*(cuda.zeros((1, 1, 2, 512)),) * 3)
    with pytest.raises(ValueError, match=r"mask of shape \(3,\)"):
        attention(cuda.zeros((1, 2, 4, 16)), k, k, mask=cuda.zeros((3,), np.bool_))
    with pytest.raises(ValueError, match="dropout_p"):
        attention(cuda.zeros((1, 2, 4, 16)), k, k, dropout_p=1.0)
    out, lse = attention(cuda.zeros((1, 2, 4, 16)), k, k, return_lse=True, config=SMALL)
    with pytest.raises(ValueError, match="seed"):
        attention_backward(out, cuda.zeros((1, 2, 4, 16)), k, k, out, lse, dropout_p=0.1)


def test_causal_never_reads_blocks_above_the_diagonal(rng, assert_close):
    """Keys 16.. lie above the diagonal of every 16-row query block when Lq = 7: NaN there must not
    reach the output or the gradients (0 * NaN would, if those blocks were visited)."""
    q, k, v = qkv(rng, np.float32, Lq=7, Lk=40)
    k[:, :, 16:], v[:, :, 16:] = np.nan, np.nan
    out, lse = attention(*(cuda.to_device(a) for a in (q, k, v)), causal=True, return_lse=True, config=SMALL)
    assert_close(out, attention_reference(q, k[:, :, :16], v[:, :, :16], causal=True)[0], "float32")
    g = rng.standard_normal(q.shape).astype(np.float32)
    dq, dk, dv = attention_backward(*(cuda.to_device(a) for a in (g, q, k, v)), out, lse, causal=True, config=SMALL)
    expected = attention_backward_reference(g, q, k[:, :, :16], v[:, :, :16], causal=True)
    assert_close(dq, expected[0], "float32")
    assert_close(dk.numpy()[:, :, :16], expected[1], "float32")
    assert (dk.numpy()[:, :, 16:] == 0).all() and (dv.numpy()[:, :, 16:] == 0).all()


@pytest.mark.parametrize("capability", [(8, 0), (8, 6), (9, 0)], ids=["sm80", "sm86", "sm90"])
@pytest.mark.parametrize("kind, head_dim", [("float16", 64), ("float16", 128), ("float32", 64), ("float32", 256)])
def test_each_gpus_default_tiles_are_right(rng, assert_close, capability, kind, head_dim):
    """The defaults chosen per GPU (Ampere's own half-precision tiles: 8 warps, N32 at head_dim 128,
    one backward stage) over a causal, bool-masked problem with ragged edges in both tile dims."""
    dtype = DTYPES[kind]
    q, k, v = qkv(rng, dtype, Lq=70, Lk=70, D=head_dim)
    mask = rng.random((1, 1, 70, 70)) < 0.8
    forward = attention_default_config(head_dim, dtype=dtype, capability=capability)
    backward = attention_default_config(head_dim, backward=True, dtype=dtype, capability=capability)
    dev = cuda.to_device
    out, lse = attention(dev(q), dev(k), dev(v), True, mask=dev(mask), return_lse=True, config=forward)
    expected, _ = attention_reference(q, k, v, True, mask=mask)
    assert_close(out, expected, kind)
    g = rng.standard_normal(q.shape).astype(dtype)
    grads = attention_backward(dev(g), dev(q), dev(k), dev(v), out, lse, True, mask=dev(mask), config=backward)
    for grad, expected_grad in zip(grads, attention_backward_reference(g, q, k, v, True, mask=mask)):
        assert_close(grad, expected_grad, kind)
