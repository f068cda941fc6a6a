"""Autotuning sweeps: ``tritorch tune SWEEP.yaml`` fits the kernels' configs to a GPU and its shapes.

    from tritorch.tune import load_sweep, run_sweep
    sweep = load_sweep("configs/tune/matmul.yaml")          # spec.py: validated, path-named errors
    result = run_sweep(sweep, "runs/tune/matmul")            # sweep.py: prune, check, time, cache the winners

The winners land in the autotune cache (``tritorch.kernels._cache``) that every launcher reads; the
kernels' search spaces, defaults and keys live with the kernels; ``library.py`` says how to run and
check each one; ``worker.py`` measures a config in a child process; ``report.py`` prints and plots.
"""
from .spec import Sweep, load_sweep
from .sweep import run_sweep
from .tunable import Tunable

__all__ = ["Sweep", "Tunable", "load_sweep", "run_sweep"]
