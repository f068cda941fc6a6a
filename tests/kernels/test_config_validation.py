"""User configs are validated in the launcher: a config the GPU compiler would reject (a tl.dot
dimension under 16, a block that is not a power of two, a wrong key) is a clear ValueError, even
under the interpreter, which would have run it."""
import importlib

import numpy as np
import pytest

from tritorch.cuda import to_device

matmul = importlib.import_module("tritorch.kernels.matmul").matmul
attention = importlib.import_module("tritorch.kernels.attention")

MM = dict(BLOCK_M=16, BLOCK_N=16, BLOCK_K=16, GROUP_M=2, num_warps=4, num_stages=1)


@pytest.mark.parametrize("change, message", [
    (dict(BLOCK_K=8), "BLOCK_K=8 is a tl.dot dimension: it must be >= 16"),
    (dict(BLOCK_M=24), "BLOCK_M=24 must be a power of two"),
    (dict(BLOCK_Q=16), "unknown BLOCK_Q"),
    (dict(num_warps=3), "num_warps=3"),
    (dict(GROUP_M=0), "GROUP_M=0 must be a positive int"),
    (dict(maxnreg=8), "maxnreg=8 must be in \\[24, 255\\]"),
])
def test_matmul_rejects_configs_the_gpu_cannot_compile(rng, change, message):
    a = to_device(rng.standard_normal((20, 24)).astype(np.float32))
    with pytest.raises(ValueError, match=message):
        matmul(a, a.T, config={**MM, **change})


def test_matmul_names_a_missing_key(rng):
    a = to_device(rng.standard_normal((4, 4)).astype(np.float32))
    with pytest.raises(ValueError, match="missing GROUP_M"):
        matmul(a, a, config=dict(BLOCK_M=16, BLOCK_N=16, BLOCK_K=16))


def test_attention_forward_and_backward_reject_a_dot_dimension_under_16(rng):
    q = to_device(rng.standard_normal((1, 2, 8, 16)).astype(np.float32))
    bad = dict(BLOCK_M=16, BLOCK_N=8, num_warps=4, num_stages=1)
    with pytest.raises(ValueError, match="attention config BLOCK_N=8 is a tl.dot dimension"):
        attention.attention(q, q, q, config=bad)
    out, lse = attention.attention(q, q, q, return_lse=True, config=dict(bad, BLOCK_N=16))
    with pytest.raises(ValueError, match="attention_backward config BLOCK_N=8"):
        attention.attention_backward(q, q, q, q, out, lse, config=bad)


def test_maxnreg_is_a_launch_option_not_a_kernel_argument(rng):
    """A config may cap ptxas's registers per thread (maxnreg): it reaches the launch, the numbers do not change."""
    a = rng.standard_normal((20, 24)).astype(np.float32)
    got = matmul(to_device(a), to_device(a.T.copy()), config={**MM, "maxnreg": 128}).numpy()
    np.testing.assert_allclose(got, a @ a.T, rtol=1e-5, atol=1e-5)
