"""Fixtures for the kernel tests: a freshly seeded generator and a relative-error check by dtype."""
import importlib

import numpy as np
import pytest

cuda = importlib.import_module("tritorch.cuda")  # the runtime package, whatever tritorch re-exports

# max |actual - expected| / max |expected| allowed, by the dtype the kernel computed in
TOLERANCES = {"float32": 1e-5, "tf32": 1e-3, "float16": 1e-2, "bfloat16": 2e-2}


@pytest.fixture
def rng(request):
    """A numpy Generator from a fresh random seed; the seed is printed, so a failure shows it."""
    seed = int(np.random.SeedSequence().entropy % 2**32)
    print(f"{request.node.name}: seed {seed}")
    return np.random.default_rng(seed)


def relative_error(actual, expected):
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape:
        raise AssertionError(f"shape {actual.shape} != expected {expected.shape}")
    if expected.size == 0:
        return 0.0
    return float(np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-30))


@pytest.fixture
def assert_close():
    """``assert_close(actual, expected, dtype_name)``: relative error within TOLERANCES[dtype_name]."""
    def check(actual, expected, kind):
        actual = actual.numpy() if hasattr(actual, "numpy") else actual
        error = relative_error(actual, expected)
        assert error <= TOLERANCES[kind], f"relative error {error:.3g} > {TOLERANCES[kind]:g} ({kind})"
    return check
