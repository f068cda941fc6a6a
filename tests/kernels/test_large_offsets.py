"""Index arithmetic past 2^31 and grids past 65,535, exercised in the interpreter (which wraps int32
like the GPU) on views with huge strides over lazily allocated host memory: only the few elements
touched are ever paged in."""
import importlib

import ml_dtypes
import numpy as np

from tritorch.cuda import DeviceArray, empty, to_device

matmul = importlib.import_module("tritorch.kernels.matmul").matmul
matmul_exact = importlib.import_module("tritorch.kernels.matmul_exact").matmul_exact

STRIDE = 2**30 + 16  # < 2^31, so Triton passes it as int32; row 2 starts past 2^31 elements


def huge_rows(rows, cols, dtype):
    """A (rows, cols) view with row stride STRIDE: row 2 sits 2^31 + 32 elements in."""
    storage = empty(((rows - 1) * STRIDE + cols,), dtype).storage
    return DeviceArray(storage, (rows, cols), dtype, strides=(STRIDE, 1))


def test_matmul_output_offsets_past_2_31_elements(rng):
    a = rng.standard_normal((3, 16)).astype(np.float16)
    b = rng.standard_normal((16, 16)).astype(np.float16)
    out = huge_rows(3, 16, np.float16)
    config = dict(BLOCK_M=16, BLOCK_N=16, BLOCK_K=16, GROUP_M=1, num_warps=4, num_stages=1)
    matmul(to_device(a), to_device(b), out=out, config=config)
    got = np.stack([out[i].numpy() for i in range(3)]).astype(np.float64)
    np.testing.assert_allclose(got, a.astype(np.float64) @ b, rtol=1e-2, atol=1e-2)


def test_matmul_reads_a_weight_view_past_2_31_elements(rng):
    """``x @ W.T`` where W's rows are STRIDE apart: column n of W.T starts at n * STRIDE."""
    x = rng.standard_normal((4, 16)).astype(ml_dtypes.bfloat16)
    w = huge_rows(3, 16, ml_dtypes.bfloat16)
    rows = rng.standard_normal((3, 16)).astype(ml_dtypes.bfloat16)
    for i in range(3):
        w[i].copy_(rows[i])
    config = dict(BLOCK_M=16, BLOCK_N=16, BLOCK_K=16, GROUP_M=1, num_warps=4, num_stages=1)
    got = matmul(to_device(x), w.T, config=config).numpy().astype(np.float64)
    np.testing.assert_allclose(got, x.astype(np.float64) @ rows.astype(np.float64).T, rtol=2e-2, atol=2e-2)


def test_matmul_exact_folds_batch_and_tiles_into_grid_dim_0(rng, monkeypatch):
    """Grid dims 1 and 2 stop at 65,535 on a GPU (a batch of 70,000 would not launch): the batch and
    both tile indices are folded into dim 0, whose limit is 2^31 - 1."""
    module = importlib.import_module("tritorch.kernels.matmul_exact")
    grids, kernel = [], module._matmul_exact

    class Recorder:
        def __getitem__(self, grid):
            grids.append(grid)
            return kernel[grid]

    monkeypatch.setattr(module, "_matmul_exact", Recorder())
    a = rng.integers(-9, 9, (3, 40, 5)).astype(np.int64)
    b = rng.integers(-9, 9, (3, 5, 70)).astype(np.int64)
    np.testing.assert_array_equal(matmul_exact(to_device(a), to_device(b)).numpy(), a @ b)
    assert len(grids) == 1 and len(grids[0]) == 1


def test_attention_launches_one_dimensional_grids(rng, monkeypatch):
    """(q blocks, B * H) grids stop at 65,535 in dim 1 (batch 8192 x 12 heads): every attention
    kernel folds batch and heads into dim 0; the results stay those of the numpy twin."""
    module = importlib.import_module("tritorch.kernels.attention")
    grids = []
    for name in ("_attn_fwd", "_attn_bwd_delta", "_attn_bwd_dkdv", "_attn_bwd_dq", "_dropout_mask"):
        kernel = getattr(module, name)

        class Recorder:
            def __getitem__(self, grid, kernel=kernel, name=name):
                grids.append((name, grid))
                return kernel[grid]
        monkeypatch.setattr(module, name, Recorder())
    q, k, v, g = (rng.standard_normal((2, 3, 40, 16)).astype(np.float32) for _ in range(4))
    config = dict(BLOCK_M=16, BLOCK_N=16, num_warps=4, num_stages=1)
    out, lse = module.attention(to_device(q), to_device(k), to_device(v), True, return_lse=True, config=config)
    dq, dk, dv = module.attention_backward(to_device(g), to_device(q), to_device(k), to_device(v), out, lse, True,
                                           config=config)
    module.attention_dropout_mask((2, 3, 40, 40), 0.5, 7)
    assert {n for n, _ in grids} == {"_attn_fwd", "_attn_bwd_delta", "_attn_bwd_dkdv", "_attn_bwd_dq", "_dropout_mask"}
    assert all(len(grid) == 1 for _, grid in grids), grids
    expected = module.attention_reference(q, k, v, True)[0]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-4)
    ref_dq, ref_dk, ref_dv = module.attention_backward_reference(g, q, k, v, True)
    for got, ref in ((dq, ref_dq), (dk, ref_dk), (dv, ref_dv)):
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-3, atol=1e-3)


def test_softmax_and_var_over_a_strided_dim_past_2_31_elements(rng):
    """The reduced dim is not the contiguous one: column c sits at c * STRIDE (3 columns: 2^31 + 32)."""
    softmax = importlib.import_module("tritorch.kernels.softmax")
    reduce = importlib.import_module("tritorch.kernels.reduce")
    x = huge_rows(3, 16, np.float32).T  # (16, 3): softmax over dim 1 walks the huge stride
    values = rng.standard_normal((3, 16)).astype(np.float32)
    for i in range(3):
        x.T[i].copy_(values[i])
    got = softmax.softmax(x, 1).numpy()
    np.testing.assert_allclose(got, softmax.softmax_reference(values.T, 1), rtol=1e-5, atol=1e-6)
    var = reduce.two_pass("var", x, (1,)).numpy()
    np.testing.assert_allclose(var, values.T.astype(np.float64).var(axis=1), rtol=1e-4)


def test_cross_entropy_over_a_strided_class_dim_past_2_31_elements(rng):
    """Logits (16, 3) whose class c sits at c * STRIDE (class 2: 2^31 + 32 elements in): the forward's
    loss and LSE, and the backward written in place over the same strided view."""
    ce = importlib.import_module("tritorch.kernels.cross_entropy")
    logits = huge_rows(3, 16, np.float32).T
    values = rng.standard_normal((3, 16)).astype(np.float32)
    for i in range(3):
        logits.T[i].copy_(values[i])
    target = np.array([2, 0, 1, 2] * 4, np.int64)
    config = dict(BLOCK_V=16, num_warps=1)
    loss, lse = ce.cross_entropy(logits, to_device(target), label_smoothing=0.1, reduction="none",
                                 return_lse=True, config=config)
    expected = ce.cross_entropy_reference(values.T, target, label_smoothing=0.1, reduction="none")
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-5, atol=1e-6)
    grad = ce.cross_entropy_backward(1.0, logits, to_device(target), lse, label_smoothing=0.1, reduction="sum",
                                     inplace_backward=True, config=config)
    got = np.stack([grad.T[i].numpy() for i in range(3)]).T
    ref = ce.cross_entropy_backward_reference(np.float32(1.0), values.T, target, label_smoothing=0.1, reduction="sum")
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
