"""Run a script in N processes under MPI for the tests (skipped cleanly where MPI cannot start)."""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def launcher():
    pytest.importorskip("mpi4py", reason="the distributed group needs mpi4py (pip install -e '.[distributed]')")
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found is None:
        pytest.skip("no mpiexec/mpirun on PATH")
    return found


def run_mpi(args, n=2, cwd=None, env=None, check=True):
    """`mpiexec -n N python ARGS...`; returns the CompletedProcess. The 600 s timeout only guards
    against a hang (a broken collective); no test depends on how fast this runs."""
    from tritorch.cli_run import launcher_env
    mpi = launcher()
    full_env = launcher_env(mpi, {**os.environ, "PYTHONPATH": HERE + os.pathsep + os.environ.get("PYTHONPATH", ""),
                                  **(env or {})})
    full_env.pop("TRITON_INTERPRET", None) if env is None or "TRITON_INTERPRET" not in env else None
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):  # the launcher's ranks, not a variable left by a test
        full_env.pop(name, None)
    proc = subprocess.run([mpi, "-n", str(n), sys.executable] + list(args), cwd=cwd or REPO, env=full_env,
                          capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


def worker(name):
    return os.path.join(HERE, "workers", name)
