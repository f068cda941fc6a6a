"""The command line, run as a user runs it: `python -m tritorch ...` in a subprocess."""
import json
import os
import subprocess
import sys

import numpy as np

import tritorch


def _run(*args, interpret=None):
    env = dict(os.environ)
    env.pop("TRITON_INTERPRET", None)
    if interpret:
        env["TRITON_INTERPRET"] = "1"
    return subprocess.run([sys.executable, "-m", "tritorch", *args], capture_output=True, text=True, env=env,
                          timeout=600)  # only a guard against a hang, never a speed limit


def test_info_json_reports_versions_and_emulated_cuda():
    out = _run("info", "--json", interpret=True)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["tritorch"] == tritorch.__version__ and info["numpy"] == np.__version__
    assert info["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert info["triton_interpreter"] is True and info["cuda_available"] is True and "emulated" in info["cuda"]
    import importlib.util
    has_numba = importlib.util.find_spec("numba") is not None
    assert info["cpu_jit"].startswith("numba") == has_numba and info["cpu_jit"].startswith("off") != has_numba


def test_info_text_without_the_interpreter():
    out = _run("info")
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(None, 1) for line in out.stdout.splitlines() if not line.startswith("triton interpreter"))
    assert lines["tritorch"].strip() == tritorch.__version__ and lines["numpy"].strip() == np.__version__
    assert "triton interpreter  off" in out.stdout
    assert "cuda" in lines


def test_help_lists_only_real_subcommands_and_bad_input_exits_2():
    out = _run("--help")
    assert out.returncode == 0 and "info" in out.stdout
    import importlib
    from tritorch.cli import SUBCOMMANDS
    for name, (module, help_) in SUBCOMMANDS.items():  # every listed subcommand is a real module
        mod = importlib.import_module(module)
        assert callable(mod.add_arguments) and callable(mod.run) and help_ and name in out.stdout
    assert _run().returncode == 2
    bad = _run("nonsense")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
