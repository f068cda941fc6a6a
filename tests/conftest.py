"""Suite-wide set-up.

CI has no GPU: unless TRITORCH_REAL_GPU=1, the `cuda` device is emulated in host memory and
every Triton kernel runs in Triton's interpreter. The variable must be set before triton
decorates any kernel, hence here, before anything imports tritorch.kernels.
"""
import os
import sys

import numpy as np
import pytest

if os.environ.get("TRITORCH_REAL_GPU") != "1":
    os.environ.setdefault("TRITON_INTERPRET", "1")

# shared test helpers (tests/tensor_cases.py) import by name under any --import-mode
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_sessionfinish(session, exitstatus):
    # A run where nothing passed (everything skipped or deselected) must not read as green.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    passed = len(reporter.stats.get("passed", [])) if reporter else 1
    if exitstatus == 0 and passed == 0:
        session.exitstatus = 1


@pytest.fixture
def rng(request):
    """A numpy Generator from a fresh random seed, printed so that a failure can be reproduced."""
    seed = int(np.random.SeedSequence().entropy % 2**32)
    print(f"{request.node.name}: seed {seed}")
    return np.random.default_rng(seed)
