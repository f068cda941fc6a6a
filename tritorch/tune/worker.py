"""Measuring one candidate config, in this process or in a worker process that may hang or die.

``measure(task)`` checks a config against the numpy twin and, on a real GPU, times it. A ``task`` is
a dict: ``tunable`` (name or "module:attr"), ``shape`` (dict), ``dtype`` (name), ``config`` (dict, or
None to time the baseline), ``time`` (bool), ``warmup``/``rep`` (benchmark counts), ``seed``,
``baseline`` (a file path, see ``_measure_baseline``).
It returns ``{"status", "ms", "error", "detail"}`` where status is

    ok               the outputs match the twin (and ``ms`` is the median time when timed)
    wrong            they do not: ``error`` is max|out - ref| / max|ref| (never chosen, whatever its speed)
    out_of_resources the compiler or the launch said the config needs more than the GPU has
    compile_error    Triton could not compile the kernel with this config
    error            anything else (the message is in ``detail``)

``Worker`` runs ``measure`` in a child process (``main`` in a fresh interpreter
with its own CUDA context, talking JSON lines over pipes) so that a compile that hangs is killed after ``timeout`` seconds and one that crashes
the process costs only that candidate: the sweep records ``timeout`` or ``crash`` and starts a new
worker. Inputs and the float64 reference are built once per problem and kept in the worker.
"""
import importlib.util
import json
import os
import select
import subprocess
import sys
import traceback

import numpy as np

from tritorch.cuda import benchmark, synchronize

from .library import TUNABLES, device_inputs
from .tunable import TOLERANCE, relative_error, resolve

_problem = {}  # (tunable, shape, dtype, seed) -> (host inputs, device inputs, reference); the latest only


def _prepare(tunable, shape, dtype, seed):
    ident = (tunable.name, tuple(sorted(shape.items())), dtype, seed)
    if ident not in _problem:
        _problem.clear()
        host = tunable.inputs(shape, dtype, np.random.default_rng(seed))
        _problem[ident] = (host, device_inputs(host), tunable.reference(host, shape))
    return _problem[ident]


def _classify(exc):
    """The status of a failed candidate from its exception."""
    kind = type(exc).__name__
    if kind == "OutOfResources" or "out of resource" in str(exc).lower():
        return "out_of_resources"
    if "Compil" in kind:
        return "compile_error"
    return "error"


def measure(task):
    """Check (and time) one config; see the module docstring for ``task`` and the result."""
    tunable = resolve(task["tunable"], TUNABLES)
    shape, dtype, config = tunable.full_shape(task["shape"]), task["dtype"], task["config"]
    try:
        host, dev, expected = _prepare(tunable, shape, dtype, task.get("seed", 0))
        if config is None:
            return _measure_baseline(tunable, shape, dev, task)
        error = relative_error(tunable.run(dev, shape, dict(config)), expected)
        if not error <= TOLERANCE[dtype]:
            return {"status": "wrong", "ms": None, "error": error,
                    "detail": f"max relative error {error:.3g} > {TOLERANCE[dtype]:g}"}
        ms = None
        if task.get("time"):
            ms = benchmark(lambda: tunable.run(dev, shape, dict(config)), warmup=task.get("warmup", 10),
                           rep=task.get("rep", 50))
        return {"status": "ok", "ms": ms, "error": error, "detail": ""}
    except Exception as e:  # a config that fails is a result, not the end of the sweep
        synchronize_quietly()
        return {"status": _classify(e), "ms": None, "error": None,
                "detail": f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"[:300]}


def synchronize_quietly():
    try:
        synchronize()
    except Exception:
        pass


def _measure_baseline(tunable, shape, dev, task):
    """The baseline (``task["baseline"]``: a Python file whose ``baseline(kernel, arrays, shape)``
    returns a callable, e.g. scripts/torch_baseline.py) on the same device memory, timed the same way."""
    module = _baseline_module(task.get("baseline"))
    fn = module and module.baseline(tunable.name, dev, shape)
    if fn is None:
        return {"status": "skipped", "ms": None, "error": None, "detail": "no baseline for this kernel"}
    ms = benchmark(fn, warmup=task.get("warmup", 10), rep=task.get("rep", 50))
    return {"status": "ok", "ms": ms, "error": None, "detail": getattr(module, "NAME", task["baseline"])}


_baselines = {}


def _baseline_module(path):
    if path and path not in _baselines:
        spec = importlib.util.spec_from_file_location("tritorch_tune_baseline", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _baselines[path] = module
    return _baselines.get(path)


# -- the worker process ----------------------------------------------------------------------------
def main():
    """The worker process's loop: a JSON task per line on stdin, a JSON
    result per line on the original stdout; anything the kernels print goes to stderr."""
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    for line in sys.stdin:
        try:
            result = measure(json.loads(line))
        except Exception:  # never die on a task: report it
            result = {"status": "error", "ms": None, "error": None, "detail": traceback.format_exc()[-300:]}
        replies.write(json.dumps(result) + "\n")
        replies.flush()
        if "CUDA error" in (result.get("detail") or ""):
            return  # a sticky CUDA error poisons this context: the next task gets a fresh process


class WorkerLost(Exception):
    """The worker hung (``status`` "timeout") or died (``status`` "crash") during a task."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


def wait_for_answer(stream, timeout):
    """True when ``stream`` (the worker's stdout) has an answer or hit EOF within ``timeout`` seconds;
    False when the time ran out. ``Worker``'s default; tests pass their own (no wall clock)."""
    ready, _, _ = select.select([stream], [], [], timeout)
    return bool(ready)


class Worker:
    """One child process that measures tasks; ``run(task, timeout)`` -> result dict or WorkerLost.
    The child sees this process's ``sys.path`` (for "module:attr" tunables) and environment.

    ``wait(stream, timeout) -> bool`` decides when a silent worker counts as hung (default
    ``wait_for_answer``: after ``timeout`` seconds)."""

    def __init__(self, wait=None):
        self.process = None
        self.wait = wait or wait_for_answer

    def _start(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.process = subprocess.Popen([sys.executable, "-c", "from tritorch.tune.worker import main; main()"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env, text=True, bufsize=1)

    def run(self, task, timeout):
        if self.process is None or self.process.poll() is not None:
            self._start()
        try:
            self.process.stdin.write(json.dumps(task) + "\n")
            self.process.stdin.flush()
            ready = self.wait(self.process.stdout, timeout)
            line = self.process.stdout.readline() if ready else None
        except (BrokenPipeError, OSError):
            ready, line = True, ""
        if line:
            return json.loads(line)
        self.close(kill=True)
        if not ready:
            raise WorkerLost("timeout", f"no answer in {timeout:g} s; the worker was killed")
        raise WorkerLost("crash", f"the worker process died (exit code {self.exit_code})")

    def close(self, kill=False):
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.exit_code = self.process.returncode
        self.process.stdout.close()
        if not self.process.stdin.closed:
            self.process.stdin.close()
        self.process = None


class InProcess:
    """``Worker``'s interface without a child process (no timeout, no crash isolation): for debugging
    and for fast tests."""

    def run(self, task, timeout):
        return measure(task)

    def close(self, kill=False):
        _problem.clear()

