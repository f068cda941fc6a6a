"""The scan kernel (cumsum/cumprod) across many column blocks: the carry between blocks is exact,
signed zeros included, for the dtypes whose accumulator is their own (float32, float64, int64)."""
import importlib

import numpy as np
import pytest

from tritorch.cuda import to_device

reduce = importlib.import_module("tritorch.kernels.reduce")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_scan_over_many_blocks(rng, dtype, op):
    x = rng.integers(-3, 4, (5, 70)).astype(dtype) if op == "cumsum" else \
        rng.choice([-1.0, 1.0, 0.5, 2.0], (5, 70)).astype(dtype)
    out = reduce.scan(op, to_device(x), 1, block_c=16).numpy()
    expected = getattr(np, op)(x.astype(np.float64), axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == dtype


def test_scan_carry_keeps_negative_zero():
    x = np.ones((2, 40), np.float32)
    x[:, 3] = -0.0  # cumprod is -0.0 from column 3 on, across the block boundaries at 16 and 32
    out = reduce.scan("cumprod", to_device(x), 1, block_c=16).numpy()
    assert np.all(out[:, 3:] == 0) and np.all(np.signbit(out[:, 3:]))
