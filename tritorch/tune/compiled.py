"""Compile tritorch's kernels for a GPU that is not there: real launchers, fake launches, real resources.

Triton builds PTX and a cubin for any target on a machine without a GPU. ``compile_only(capability)``
makes every kernel launch in this process a compile instead: the launchers run unchanged on emulated
(host) memory, so Triton's binder specialises the arguments exactly as on the GPU (pointers aligned
to 256 B, ints divisible by 16 or equal to 1), ``JITFunction.run`` compiles for ``GPUTarget("cuda",
capability, 32)`` and returns without launching, and each compiled kernel is recorded with what the
GPU would check at its first launch:

    {"kernel": "_matmul_fwd", "status": "ok", "shared": 65536, "registers": 168, "spills": 0,
     "num_warps": 8, "num_stages": 3, "hash": "...", "error": ""}

``shared`` is Triton's own figure (``metadata.shared``, what the launch compares to the device's
opt-in limit); ``registers`` and ``spills`` (bytes of spill stores per thread) come from ptxas's
``-v`` report of that compile, kept in ``CACHE/ptxas/HASH.json`` so that a compile Triton answers from
its cache (``CACHE/triton``) still has them. ``problems(record, capability)`` says what does not fit.

This must run in a process of its own whose first ``import tritorch`` happens WITHOUT
``TRITON_INTERPRET=1`` (the kernels must be ``JITFunction``s, not interpreted): ``setup(cache_dir)`` checks that, imports the kernels, and only
then turns the emulated device on for the memory (kernels' ``UPCAST``/``ROUND_BF16`` interpreter
workarounds stay off, as on a GPU). ``scripts/compile_check.py`` drives it; the tuner uses
``compile_tunable`` (through ``resources_in_subprocess``) to prune configs by their real resources.
"""
import contextlib
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile

# Per-block limits by compute capability: opt-in shared memory (bytes; CUDA C Programming Guide,
# "Technical Specifications per Compute Capability"), 32-bit registers per block and per thread.
LIMITS = {(8, 0): 166912, (8, 6): 101376, (8, 7): 166912, (8, 9): 101376, (9, 0): 232448,
          (10, 0): 232448, (12, 0): 101376}
REGISTERS_PER_BLOCK = 65536
REGISTERS_PER_THREAD = 255

_records = []        # what this process compiled since the last take_records()
_ptxas_log = {}      # the last ptxas -v report, while a compile runs
_state = {}


def shared_limit(capability):
    """Opt-in shared memory per block (bytes) of a ``(major, minor)`` capability."""
    return LIMITS.get(tuple(capability), LIMITS[(8, 0)] if tuple(capability) >= (8, 0) else 49152)


def problems(record, capability):
    """What in a compiled-kernel record would fail at launch (or run slowly) on ``capability``: a list
    of short strings such as ``"shared memory 295424 B > 232448 B"``; empty when it fits."""
    if record["status"] != "ok":
        return [record["status"] + (f": {record['error']}" if record["error"] else "")]
    out = []
    limit = shared_limit(capability)
    if record["shared"] > limit:
        out.append(f"shared memory {record['shared']} B > {limit} B")
    threads = 32 * record["num_warps"]
    if record["registers"] is not None and (record["registers"] > REGISTERS_PER_THREAD or
                                            record["registers"] * threads > REGISTERS_PER_BLOCK):
        out.append(f"{record['registers']} registers x {threads} threads > {REGISTERS_PER_BLOCK}")
    return out


# -- ptxas's report ------------------------------------------------------------------------------
def parse_ptxas(log):
    """``(registers, spill store bytes)`` from a ``ptxas -v`` report (None, None when absent)."""
    regs = re.findall(r"Used (\d+) registers", log)
    spills = re.findall(r"(\d+) bytes spill stores", log)
    return (int(regs[-1]) if regs else None), (max(int(s) for s in spills) if spills else None)


class _SubprocessWithLog:
    """Stands in for the ``subprocess`` module in Triton's NVIDIA compiler: ptxas runs as before and
    its ``-v`` report (written to the file given as stderr) is kept for the kernel's record."""

    def __getattr__(self, name):
        return getattr(subprocess, name)

    @staticmethod
    def run(cmd, *args, **kwargs):
        result = subprocess.run(cmd, *args, **kwargs)
        log = kwargs.get("stderr")
        if hasattr(log, "name") and os.path.exists(log.name):
            with open(log.name, errors="replace") as f:
                _ptxas_log["text"] = f.read()
        return result


def _ptxas_info(kernel, capability):
    """``(registers, spills)`` of a compiled kernel: this compile's ptxas report, the cached one, or a
    fresh ``ptxas -v`` run over its PTX (when Triton answered from its cache without ours)."""
    path = os.path.join(_state["cache"], "ptxas", f"{kernel.metadata.hash}.json")
    if "text" in _ptxas_log:
        info = parse_ptxas(_ptxas_log.pop("text"))
    elif os.path.exists(path):
        with open(path) as f:
            return tuple(json.load(f))
    else:
        from triton.backends.nvidia.compiler import get_ptxas
        arch = f"sm_{capability[0]}{capability[1]}" + ("a" if capability[0] >= 9 else "")
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "k.ptx")
            with open(src, "w") as f:
                f.write(kernel.asm["ptx"])
            run = subprocess.run([get_ptxas(capability[0] * 10 + capability[1]).path, "-v", "-lineinfo",
                                  f"--gpu-name={arch}", src, "-o", src + ".o"], capture_output=True, text=True)
            info = parse_ptxas(run.stderr + run.stdout)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(list(info), f)
    os.replace(path + ".tmp", path)
    return info


# -- compile instead of launch ---------------------------------------------------------------------
class CompileOnlyDriver:
    """The least of a Triton driver that compiling needs: a target, a device id and a stream.

    The device id is the target's capability as an int (90 for sm_90), so that ``JITFunction``'s
    per-device caches keep one binder per target when one process compiles for several."""

    def __init__(self, capability):
        self.capability = tuple(capability)

    def get_current_target(self):
        from triton.backends.compiler import GPUTarget
        return GPUTarget("cuda", self.capability[0] * 10 + self.capability[1], 32)

    def get_current_device(self):
        return self.capability[0] * 10 + self.capability[1]

    def get_current_stream(self, device=None):
        return 0

    def is_active(self):
        return True


def setup(cache_dir):
    """Prepare this process for compile-only runs (once): see the module docstring. Raises
    RuntimeError when tritorch's kernels were already imported under the interpreter."""
    if _state:
        return
    if "tritorch.kernels.matmul" in sys.modules and \
            type(sys.modules["tritorch.kernels.matmul"]._matmul_fwd).__name__ != "JITFunction":
        raise RuntimeError("compile-only runs need the kernels imported without TRITON_INTERPRET=1 "
                           "(run them in a fresh process)")
    os.environ.pop("TRITON_INTERPRET", None)
    os.environ.setdefault("TRITON_DEFAULT_FP_FUSION", "1")
    os.environ["TRITON_CACHE_DIR"] = os.path.join(cache_dir, "triton")
    import triton
    from triton.runtime.jit import JITFunction
    import triton.backends.nvidia.compiler as nvidia_compiler
    kernels = importlib.import_module("tritorch.kernels")
    for name in ("attention", "conv", "cross_entropy", "elementwise", "indexing", "layernorm", "matmul",
                 "matmul_exact", "optimizers", "pooling", "random", "reduce", "segment", "softmax", "sort"):
        module = importlib.import_module(f"tritorch.kernels.{name}")
        if hasattr(module, "is_emulated"):  # kernel flags as on a GPU; memory stays emulated below
            module.is_emulated = lambda: False
        if hasattr(module, "get_device_capability"):  # defaults chosen for the target
            module.get_device_capability = lambda device=None: _state["capability"]
    del kernels
    library = importlib.import_module("tritorch.tune.library")  # the tuner's defaults, for the target too
    library.get_device_capability = lambda device=None: _state["capability"]
    os.environ["TRITON_INTERPRET"] = "1"  # tritorch.cuda: host memory, no CUDA calls
    nvidia_compiler.subprocess = _SubprocessWithLog()
    original = JITFunction.run

    def compile_instead(self, *args, grid, warmup, **kwargs):
        name = self.fn.__name__
        try:
            kernel = original(self, *args, grid=grid, warmup=True, **kwargs)
        except Exception as e:
            _ptxas_log.pop("text", None)
            message = " ".join(str(e).split())
            _records.append(dict(kernel=name, status=_status(e), shared=None, registers=None, spills=None,
                                 num_warps=kwargs.get("num_warps", 4), num_stages=kwargs.get("num_stages", 3),
                                 hash=None, error=f"{type(e).__name__}: {message[-300:]}"))
            raise CompileFailed(name, e) from e
        registers, spills = _ptxas_info(kernel, _state["capability"])
        md = kernel.metadata
        _records.append(dict(kernel=name, status="ok", shared=int(md.shared), registers=registers, spills=spills,
                             num_warps=int(md.num_warps), num_stages=int(md.num_stages), hash=md.hash, error=""))
        return kernel

    JITFunction.run = compile_instead
    _state.update(cache=cache_dir, triton=triton, capability=(9, 0))


class CompileFailed(RuntimeError):
    """A kernel did not compile (the record says why); stops the launcher that asked for it."""

    def __init__(self, kernel, cause):
        super().__init__(f"{kernel}: {type(cause).__name__}")
        self.kernel = kernel


def _status(exc):
    text = f"{type(exc).__name__} {exc}"
    return "out_of_resources" if "OutOfResources" in text or "out of resource" in text.lower() else "compile_error"


@contextlib.contextmanager
def target(capability):
    """Compile for ``capability`` ``(major, minor)`` inside the block; yields the list of records."""
    triton = _state["triton"]
    _state["capability"] = tuple(capability)
    triton.runtime.driver.set_active(CompileOnlyDriver(capability))
    start = len(_records)
    records = []
    try:
        yield records
    finally:
        records.extend(_records[start:])
        del _records[start:]


def run_case(fn, capability):
    """Run ``fn()`` (launcher calls) compiling for ``capability``; returns ``(records, error)`` where
    error is "" or the launcher's own exception text (a compile failure is in the records)."""
    with target(capability) as records:
        try:
            fn()
            error = ""
        except CompileFailed:
            error = ""
        except Exception as e:  # the launcher refused the case: reported, not a compile result
            error = f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"
    return records, error


# -- tunables --------------------------------------------------------------------------------------
class ZeroRng:
    """Stands in for numpy's Generator in ``Tunable.inputs``: zeros of the asked shape (cheap)."""

    @staticmethod
    def standard_normal(shape):
        return __import__("numpy").zeros(shape, "float32")

    @staticmethod
    def integers(low, high, size):
        return __import__("numpy").full(size, low, "int64")


def compile_tunable(name, shape, dtype, config, capability):
    """Compile one config of a Tunable (``tritorch.tune.library``) for ``capability``; the records."""
    from .library import TUNABLES, device_inputs
    from .tunable import resolve
    tunable = resolve(name, TUNABLES)
    shape = tunable.full_shape(shape)
    arrays = device_inputs(tunable.inputs(shape, dtype, ZeroRng()))
    records, error = run_case(lambda: tunable.run(arrays, shape, dict(config)), capability)
    if error:  # also after kernels that did compile (a forward before the backward that failed)
        records = records + [dict(kernel=name, status="error", shared=None, registers=None, spills=None,
                                  num_warps=config.get("num_warps", 4), num_stages=config.get("num_stages", 3),
                                  hash=None, error=error)]
    return records


class CompileWorker:
    """A ``python -m tritorch.tune.compiled`` child that compiles Tunable configs for the tuner.

    ``records(name, shape, dtype, config, capability)`` -> the compiled kernels' records (see the module
    docstring). The child is started at the first call (without ``TRITON_INTERPRET``) and reused."""

    def __init__(self):
        self.process = None

    def records(self, name, shape, dtype, config, capability):
        if self.process is None or self.process.poll() is not None:
            env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
            self.process = subprocess.Popen([sys.executable, "-m", "tritorch.tune.compiled"], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        task = dict(tunable=name, shape=shape, dtype=dtype, config=config, capability=list(capability))
        self.process.stdin.write(json.dumps(task) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            self.close()
            return [dict(kernel=name, status="crash", shared=None, registers=None, spills=None,
                         num_warps=config.get("num_warps", 4), num_stages=config.get("num_stages", 3), hash=None,
                         error="the compile worker died")]
        return json.loads(line)

    def close(self):
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait()
            self.process = None


def misfit(records, capability, shared_limit_bytes=None):
    """Why a config's compiled kernels cannot run on ``capability`` (a string), or None when they fit.

    ``shared_limit_bytes``: the device's own opt-in figure when known (else the table's)."""
    for r in records:
        found = problems(r, capability)
        if shared_limit_bytes is not None and r["status"] == "ok" and r["shared"] <= shared_limit_bytes:
            found = [f for f in found if not f.startswith("shared memory")]
        if found:
            return f"compiled {r['kernel']}: {'; '.join(found)}"
    return None


def default_cache_dir():
    """``$TRITORCH_CACHE_DIR/compile``, else ``~/.cache/tritorch/compile``."""
    root = os.environ.get("TRITORCH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "tritorch")
    return os.path.join(root, "compile")


def main():
    """``python -m tritorch.tune.compiled``: JSON tasks on stdin, one per line (``{"tunable", "shape",
    "dtype", "config", "capability"}``), a JSON list of records per line on stdout."""
    setup(default_cache_dir())
    for line in sys.stdin:
        task = json.loads(line)
        with contextlib.redirect_stdout(sys.stderr):
            records = compile_tunable(task["tunable"], task["shape"], task["dtype"], task["config"],
                                      task["capability"])
        print(json.dumps(records), flush=True)


if __name__ == "__main__":
    main()
