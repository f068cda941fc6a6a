"""scripts/torch_baseline.py computes the same operation as each kernel it stands beside (optional: needs
PyTorch; on the emulated device DLPack hands PyTorch host memory, so this runs on the CPU)."""
import importlib.util
import os

import numpy as np
import pytest

from tritorch.tune.library import TUNABLES, device_inputs

torch = pytest.importorskip("torch")
PATH = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "torch_baseline.py")
SHAPES = {"matmul": {"M": 9, "N": 7, "K": 5}, "attention": {"batch": 1, "heads": 2, "seq_q": 5, "seq_k": 5,
                                                            "head_dim": 8, "causal": 1},
          "cross_entropy": {"rows": 6, "classes": 11}}


def load():
    spec = importlib.util.spec_from_file_location("torch_baseline", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kernel", sorted(load().BASELINES))
def test_baseline_matches_the_kernels_twin(kernel, rng):
    tunable = TUNABLES[kernel]
    shape = tunable.full_shape(SHAPES.get(kernel, {"rows": 4, "cols": 13}))
    host = tunable.inputs(shape, "float32", rng)
    out = load().baseline(kernel, device_inputs(host), shape)()
    expected = tunable.reference(host, shape)
    if kernel == "cross_entropy":          # the twin gives (per-row losses, mean-reduced dx); PyTorch's is dx
        out, expected = out[0], expected[1]
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-5)
