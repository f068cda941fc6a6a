"""TritorchCudaDriver against Triton's own driver classes, without a GPU: the installed Triton here,
Triton 3.6.0 (the GPU machines' version) in a subprocess when its venv exists
(``$TRITORCH_TRITON36_PYTHON``, default /tmp/venv-triton36/bin/python; see docs/gpu.md)."""
import os
import subprocess

import pytest

import driver_checks

PYTHON36 = os.environ.get("TRITORCH_TRITON36_PYTHON", "/tmp/venv-triton36/bin/python")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_driver_methods_under_the_installed_triton():
    assert driver_checks.check_all()


@pytest.mark.skipif(not os.path.exists(PYTHON36), reason=f"no Triton 3.6 venv at {PYTHON36}")
def test_driver_methods_under_triton_3_6():
    env = dict(os.environ, TRITON_INTERPRET="1", PYTHONPATH=ROOT)
    run = subprocess.run([PYTHON36, os.path.join(os.path.dirname(__file__), "driver_checks.py")], env=env,
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["ok", "3.6.0"]
