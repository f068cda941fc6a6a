"""The cuda nn, attention and optimizer primitives against their CPU twins, on raw arrays, small odd
shapes and the emulated device (TRITON_INTERPRET=1)."""
import importlib

import ml_dtypes
import numpy as np
import pytest

from tritorch import cuda
from tritorch._dispatch import cpu as C
from tritorch._dispatch import cuda as B
from tritorch._dispatch.cpu import optim as CO

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

TOL = {np.float32: 2e-5, np.float64: 1e-12, np.float16: 2e-3, ml_dtypes.bfloat16: 2e-2}


def dev(a):
    return None if a is None else cuda.to_device(a)


def close(gpu, cpu, tol):
    """gpu (DeviceArray) equals cpu (ndarray) in shape and dtype, values to `tol` (inf/NaN must match)."""
    got = gpu.numpy()
    assert got.shape == cpu.shape and got.dtype == cpu.dtype, (got.shape, cpu.shape, got.dtype, cpu.dtype)
    a, b = got.astype(np.float64), cpu.astype(np.float64)
    bad = ~np.isclose(a, b, rtol=tol, atol=tol, equal_nan=True)
    assert not bad.any(), f"{bad.sum()} mismatches, e.g. got {a[bad][:4]} expected {b[bad][:4]}"


def randn(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("family", ["nn", "attention", "optim"])
def test_every_cpu_primitive_of_the_family_has_a_cuda_twin(family):
    cpu = importlib.import_module(f"tritorch._dispatch.cpu.{family}")
    gpu = importlib.import_module(f"tritorch._dispatch.cuda.{family}")
    names = cpu.__all__ + (["layer_norm"] if family == "nn" else [])  # cpu/norm.py (its backward: CPU-only)
    assert sorted(names) == sorted(gpu.__all__)
    for name in names:
        assert callable(getattr(B, name)), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64, ml_dtypes.bfloat16])
def test_linear_with_each_activation(rng, dtype):
    x, w, b = randn(rng, 2, 3, 7, dtype=dtype), randn(rng, 5, 7, dtype=dtype), randn(rng, 5, dtype=dtype)
    for act in ["none", "relu", "gelu", "gelu_tanh", "silu"]:
        close(B.linear(dev(x), dev(w), dev(b), act), C.linear(x, w, b, act), TOL[dtype])
    close(B.linear(dev(x[0, 0]), dev(w), None, "none"), C.linear(x[0, 0], w, None, "none"), TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_layer_norm_and_rms_norm(rng, dtype):
    x, w, b = randn(rng, 3, 5, 7, dtype=dtype), randn(rng, 5, 7, dtype=dtype), randn(rng, 5, 7, dtype=dtype)
    for got, want in zip(B.layer_norm(dev(x), 2, dev(w), dev(b), 1e-5), C.layer_norm(x, 2, w, b, 1e-5)):
        close(got, want, TOL[dtype])
    for got, want in zip(B.layer_norm(dev(x), 1, None, None, 1e-3), C.layer_norm(x, 1, None, None, 1e-3)):
        close(got, want, TOL[dtype])
    for got, want in zip(B.rms_norm(dev(x), 1, dev(w[0]), 1e-6), C.rms_norm(x, 1, w[0], 1e-6)):
        close(got, want, TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_weights_ignore_index_smoothing(rng, dtype):
    logits, weight = randn(rng, 7, 11, dtype=dtype) * 3, rng.random(11).astype(dtype)
    target = rng.integers(0, 11, 7)
    target[[1, 4]] = -100
    for w in (None, weight):
        for smoothing in (0.0, 0.25):
            for got, want in zip(B.cross_entropy(dev(logits), dev(target), dev(w), -100, smoothing),
                                 C.cross_entropy(logits, target, w, -100, smoothing)):
                close(got, want, TOL[dtype] * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_and_its_gradients(rng, dtype, groups):
    x, b = randn(rng, 2, 4, 9, 8, dtype=dtype), randn(rng, 6, dtype=dtype)
    w = randn(rng, 6, 4 // groups, 3, 2, dtype=dtype)
    geo = ((2, 1), ((1, 0), (2, 1)), (1, 2), groups)
    y = C.conv2d(x, w, b, *geo)
    close(B.conv2d(dev(x).transpose(2, 3).contiguous().transpose(2, 3), dev(w), dev(b), *geo), y, TOL[dtype] * 10)
    g = randn(rng, *y.shape, dtype=dtype)
    close(B.conv2d_input_grad(dev(g), dev(w), (9, 8), *geo), C.conv2d_input_grad(g, w, (9, 8), *geo), TOL[dtype] * 10)
    close(B.conv2d_weight_grad(dev(g), dev(x), w.shape, *geo), C.conv2d_weight_grad(g, x, w.shape, *geo),
          TOL[dtype] * 10)


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pooling_forward_and_backward(rng, ceil_mode):
    x = randn(rng, 2, 3, 9, 8)
    x[0, 0, 0, 0], x[1, 2, 4, 4] = np.nan, np.inf
    x[0, 1, :3, :3] = 1.0  # ties: the first tap wins
    geo = ((3, 2), (2, 2), (1, 1), (1, 2), ceil_mode)
    values, idx = C.max_pool2d(x, *geo)
    gv, gi = B.max_pool2d(dev(x), *geo)
    close(gv, values, 0)
    np.testing.assert_array_equal(gi.numpy(), idx)
    g = randn(rng, *values.shape)
    close(B.max_pool2d_backward(dev(g), gi, x.shape), C.max_pool2d_backward(g, idx, x.shape), 1e-6)
    x = randn(rng, 2, 3, 9, 8)
    for count_include_pad, divisor in [(True, None), (False, None), (True, 5)]:
        geo = ((3, 2), (2, 1), (1, 1), ceil_mode, count_include_pad, divisor)
        y = C.avg_pool2d(x, *geo)
        close(B.avg_pool2d(dev(x), *geo), y, 1e-6)
        g = randn(rng, *y.shape)
        close(B.avg_pool2d_backward(dev(g), x.shape, *geo), C.avg_pool2d_backward(g, x.shape, *geo), 1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("heads,kv_heads,e,ev", [(4, 2, 8, 8), (2, 2, 5, 7), (2, 1, 9, 3)])
def test_attention_forward_and_backward(rng, dtype, heads, kv_heads, e, ev):
    q, k, v = randn(rng, 2, heads, 5, e, dtype=dtype), randn(rng, 2, kv_heads, 7, e, dtype=dtype), \
        randn(rng, 2, kv_heads, 7, ev, dtype=dtype)
    bool_mask = rng.random((1, 1, 5, 7)) > 0.3
    bool_mask[0, 0, 2] = False  # a row with no key: output 0, LSE inf, zero gradients
    for mask, causal in [(None, False), (None, True), (bool_mask, False), (randn(rng, 2, 1, 5, 7, dtype=dtype), False)]:
        out, lse = C.attention(q, k, v, mask, causal, 0.3, 0.0, None)
        got_out, got_lse = B.attention(dev(q), dev(k), dev(v), dev(mask), causal, 0.3, 0.0, None)
        close(got_out, out, TOL[dtype] * 10)
        close(got_lse, lse, TOL[dtype] * 10)
        g = randn(rng, *out.shape, dtype=dtype)
        for got, want in zip(B.attention_backward(dev(g), dev(q), dev(k), dev(v), got_out, got_lse, dev(mask), causal,
                                                  0.3, 0.0, None),
                             C.attention_backward(g, q, k, v, out, lse, mask, causal, 0.3, 0.0, None)):
            close(got, want, TOL[dtype] * 10)


def test_attention_dropout_uses_the_mask_it_reports(rng):
    q, k, v = randn(rng, 1, 2, 5, 8), randn(rng, 1, 2, 6, 8), randn(rng, 1, 2, 6, 8)
    out, _ = B.attention(dev(q), dev(k), dev(v), None, False, None, 0.3, 123)
    keep = B.attention_dropout_mask((1, 2, 5, 6), 0.3, 123).numpy()
    assert keep.dtype == np.bool_ and 0 < keep.mean() < 1
    s = q @ k.swapaxes(-1, -2) / np.sqrt(8)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    close(out, (p * keep / 0.7 @ v).astype(np.float32), 1e-5)


STEP_TOL = {np.float32: 1e-6, np.float64: 1e-14, np.float16: 1e-3, ml_dtypes.bfloat16: 8e-3}
OPTIMIZERS = [
    ("sgd_step", 1, (0.1, 0.01, 0.9, 0.1, True, False, False)),
    ("sgd_step", 0, (0.1, 0.0, 0.0, 0.0, False, True, False)),
    ("adam_step", 2, (3, 1e-2, 0.9, 0.999, 1e-8, 0.1, False, False, False)),
    ("adam_step", 3, (3, 1e-2, 0.9, 0.999, 1e-8, 0.1, True, True, True)),
    ("rmsprop_step", 3, (1e-2, 0.99, 1e-8, 0.1, 0.9, True, False)),
    ("rmsprop_step", 1, (1e-2, 0.9, 1e-8, 0.0, 0.0, False, True)),
    ("adagrad_step", 1, (4, 1e-2, 0.1, 0.01, 1e-10, False)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, ml_dtypes.bfloat16])
@pytest.mark.parametrize("name,n_state,args", OPTIMIZERS)
def test_fused_optimizer_steps_match_the_cpu(rng, dtype, name, n_state, args):
    shape = (5, 7)
    n_slots = {"sgd_step": 1, "adam_step": 3, "rmsprop_step": 3, "adagrad_step": 1}[name]
    states = [np.abs(randn(rng, *shape, dtype=dtype)) if i < n_state else None for i in range(n_slots)]
    if name == "rmsprop_step" and n_state == 3:
        states[1] = np.zeros(shape, dtype)  # grad_avg starts at 0, as the optimizer creates it
    host = [randn(rng, *shape, dtype=dtype), randn(rng, *shape, dtype=dtype)] + states
    # the parameter as a transposed view: updated through a contiguous copy and written back
    arrays = [None if a is None else dev(a) for a in host]
    arrays[0] = dev(np.ascontiguousarray(host[0].T)).T
    for _ in range(3):
        getattr(CO, name)(*host, *args)
        getattr(B, name)(*arrays, *args)
    for got, want in zip(arrays, host):
        if want is not None:
            close(got, want, STEP_TOL[dtype])  # exact under the interpreter; FMA may round differently on a GPU


def test_embedding_backward_is_deterministic_and_matches_the_cpu(rng, monkeypatch):
    import tritorch as torch
    import tritorch.nn.functional as F
    from tritorch.kernels import indexing
    weight = rng.standard_normal((40, 6)).astype(np.float32)
    idx = rng.integers(0, 35, (7, 50))                         # rows 35.. never hit
    idx[rng.random(idx.shape) < 0.3] = 4                       # a long run of repeats
    idx[:, 0] = 2                                              # the padding row, hit in every sequence
    g = (rng.standard_normal((7, 50, 6)) * 10.0 ** rng.integers(-3, 4, (7, 50, 1))).astype(np.float32)
    monkeypatch.setattr(indexing, "scatter", None)             # no atomic scatter-add on the way
    grads = {}
    for device, run in [("cpu", 0), ("cuda", 0), ("cuda", 1)]:
        for by_freq in (False, True):
            w = torch.tensor(weight, device=device, requires_grad=True)
            out = F.embedding(torch.tensor(idx, device=device), w, padding_idx=2, scale_grad_by_freq=by_freq)
            out.backward(torch.tensor(g, device=device))
            grads[device, run, by_freq] = w.grad.cpu().numpy()
    for by_freq in (False, True):
        first, second = grads["cuda", 0, by_freq], grads["cuda", 1, by_freq]
        assert first.tobytes() == second.tobytes()            # bitwise the same on every run
        np.testing.assert_array_equal(first, grads["cpu", 0, by_freq])   # same summation order as np.add.at
        assert not first[2].any() and not first[35:].any() and first[4].any()


@pytest.mark.parametrize("dtype,groups,channels", [(np.float32, 3, (6, 9)), (np.float32, 5, (5, 5)),
                                                   (np.float64, 5, (5, 10)), (np.float16, 2, (4, 6))])
def test_grouped_and_depthwise_conv2d_are_one_batched_matmul(rng, monkeypatch, dtype, groups, channels):
    import tritorch._dispatch.cuda.nn as cuda_nn
    c, o = channels
    x, b = randn(rng, 3, c, 7, 6, dtype=dtype), randn(rng, o, dtype=dtype)
    w = randn(rng, o, c // groups, 3, 2, dtype=dtype)
    geo = ((1, 2), ((1, 1), (0, 1)), (2, 1), groups)
    calls = []
    for name in ("_matmul", "matmul"):
        real = getattr(cuda_nn, name)
        monkeypatch.setattr(cuda_nn, name, lambda *a, _real=real, **k: (calls.append(1), _real(*a, **k))[1])
    tol = 2e-2 if dtype == np.float16 else TOL[dtype] * 10
    y = C.conv2d(x, w, b, *geo)
    close(B.conv2d(dev(x)[:, :, ::-1].contiguous()[:, :, ::-1], dev(w), dev(b), *geo), y, tol)  # strided x
    g = randn(rng, *y.shape, dtype=dtype)
    close(B.conv2d_input_grad(dev(g), dev(w), (7, 6), *geo), C.conv2d_input_grad(g, w, (7, 6), *geo), tol)
    close(B.conv2d_weight_grad(dev(g), dev(x), w.shape, *geo), C.conv2d_weight_grad(g, x, w.shape, *geo), tol)
    assert len(calls) == 3                                    # one matmul per call, whatever the groups
