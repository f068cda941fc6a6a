"""Backward defaults that keep hot kernels out of register spills on sm_90 (scripts/compile_check.py):
long softmax rows and wide norm rows take the looped backward, with the numpy twins' numbers."""
import importlib

import numpy as np

from tritorch.cuda import to_device

softmax = importlib.import_module("tritorch.kernels.softmax")
layernorm = importlib.import_module("tritorch.kernels.layernorm")


def test_softmax_backward_past_16384_columns_is_looped_and_right(rng, assert_close):
    assert softmax.softmax_default_config(32768, backward=True)["BLOCK_N"] < 32768
    assert softmax.softmax_default_config(32768)["BLOCK_N"] == 32768  # the forward stays one block
    x = rng.standard_normal((2, 20000)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    y = softmax.softmax_reference(x).astype(np.float32)
    dx = softmax.softmax_backward(to_device(g), to_device(y), -1)
    assert_close(dx, softmax.softmax_backward_reference(g, y), "float32")


def test_layer_norm_backward_past_8192_columns_is_looped_and_right(rng, assert_close):
    assert layernorm.layer_norm_default_config(16384, 4096)["BLOCK_N"] == 8192
    assert layernorm.layer_norm_default_config(16384)["BLOCK_N"] == 16384  # the forward stays one block
    x = rng.standard_normal((3, 12000)).astype(np.float32)
    w, b = (rng.standard_normal(12000).astype(np.float32) for _ in range(2))
    g = rng.standard_normal(x.shape).astype(np.float32)
    f = layernorm.layer_norm(to_device(x), 12000, to_device(w), to_device(b))
    dx, dw, db = layernorm.layer_norm_backward(to_device(g), to_device(x), f.mean, f.rstd, to_device(w), has_bias=True)
    rdx, rdw, rdb = layernorm.layer_norm_backward_reference(g, x, 12000, w)
    for got, ref in ((dx, rdx), (dw, rdw), (db, rdb)):
        assert_close(got, ref, "float32")
