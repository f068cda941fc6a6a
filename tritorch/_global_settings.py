"""Process-wide settings PyTorch keeps as globals: the default device, float32 matmul precision,
deterministic algorithms, CPU threads.

    set_default_device("cuda")           # creation functions without device= make cuda tensors
    set_float32_matmul_precision("high") # float32 matmuls on cuda may use TF32
    use_deterministic_algorithms(True)   # recorded; tritorch's kernels are deterministic already

Nothing here queries a device: the settings are plain values read when an op runs.
"""
import os

from ._device import CPU, as_device

__all__ = ["set_default_device", "get_default_device", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "get_num_threads", "set_num_threads",
           "get_num_interop_threads", "set_num_interop_threads"]

_default_device = CPU
_matmul_precision = "highest"
_deterministic = [False, False]   # enabled, warn_only
_threads = {"intra": None, "interop": None}


def set_default_device(device):
    """Make `device` (str, int, tritorch.device or None for cpu) where creation functions
    (``tensor``, ``zeros``, ``randn``, ``arange``, ...) put tensors when not given ``device=``."""
    global _default_device
    _default_device = CPU if device is None else as_device(device)


def get_default_device():
    """The device creation functions use when not given ``device=`` (cpu unless changed)."""
    return _default_device


_device_stack = []


def push_default_device(device):
    """``with tritorch.device(...)``: remember the current default and make ``device`` the default."""
    _device_stack.append(_default_device)
    set_default_device(device)


def pop_default_device():
    set_default_device(_device_stack.pop())


def set_float32_matmul_precision(precision):
    """``"highest"`` (IEEE float32, the default), ``"high"`` or ``"medium"`` (float32 matmuls on
    cuda may use TF32 tensor cores). The CPU always computes in float32."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision: {precision}; expected one of 'highest', 'high', 'medium'")
    _matmul_precision = precision


def get_float32_matmul_precision():
    return _matmul_precision


def float32_matmul_dot_precision():
    """What the cuda matmul kernels use for float32 inputs: ``"ieee"`` or ``"tf32"``."""
    return "ieee" if _matmul_precision == "highest" else "tf32"


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded for ``are_deterministic_algorithms_enabled()``. tritorch has no nondeterministic
    kernels to refuse (its scatter-adds and sorts are deterministic), so nothing else changes."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}")
    _deterministic[:] = [mode, bool(warn_only)]


def are_deterministic_algorithms_enabled():
    return _deterministic[0]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic[1]


def _threadpool_limits(n):
    try:
        import threadpoolctl
    except ImportError:     # optional: without it numpy's BLAS keeps its own thread count, and we say so
        import warnings
        warnings.warn("tritorch.set_num_threads: numpy's BLAS keeps its own thread count; pip install "
                      "'tritorch[threads]' (threadpoolctl) to apply it", stacklevel=3)
        return
    threadpoolctl.threadpool_limits(n)


def set_num_threads(n):
    """Threads for CPU math (numpy's BLAS, through threadpoolctl when it is installed)."""
    n = int(n)
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _threads["intra"] = n
    _threadpool_limits(n)


def get_num_threads():
    """The number set with ``set_num_threads``, else the CPUs this process may run on."""
    if _threads["intra"]:
        return _threads["intra"]
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def set_num_interop_threads(n):
    _threads["interop"] = int(n)


def get_num_interop_threads():
    return _threads["interop"] or get_num_threads()
