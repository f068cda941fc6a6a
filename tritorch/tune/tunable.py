"""What the tuner needs to know about one kernel: a ``Tunable``.

A Tunable names the kernel as the autotune cache does (``"matmul"``, ``"softmax_backward"``, ...) and
gives, for a shape (a dict of ints such as ``{"M": 512, "N": 4096, "K": 4096}``) and a dtype name:
its search space and default config (from the kernel family), its cache key, random inputs, how to run it
with a config, the float64 numpy twin to check it against, how much work one call does (for TFLOP/s or
GB/s) and a resource estimate per config (for pruning). ``tritorch.tune.library`` holds those of tritorch's kernels;
a sweep may name another as ``"package.module:attribute"``.
"""
import importlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from tritorch.cuda import as_dtype

DTYPES = ("float32", "float16", "bfloat16")
# Largest accepted max|out - ref| / max|ref| per input dtype (float32 dots run in IEEE precision).
TOLERANCE = {"float32": 1e-4, "float16": 1e-2, "bfloat16": 4e-2}
MAX_REGISTERS_PER_THREAD = 255


@dataclass(frozen=True)
class Tunable:
    """One tunable kernel. Every callable takes ``shape`` (dict of ints) and ``dtype`` (a name in DTYPES)
    where it says so; arrays in ``inputs``/``reference`` are numpy, those given to ``run`` DeviceArrays.

    name: the kernel's name in the autotune cache (and ``kernels._cache.lookup``).
    params: the shape dict's keys, e.g. ``("M", "N", "K")``; optional ones go in ``optional``.
    space(shape, dtype) -> [config]: the kernel's declared candidates.
    default(shape, dtype) -> config: what the launcher uses without a cache entry.
    key(shape, dtype) -> str: the launcher's cache key for this shape.
    inputs(shape, dtype, rng) -> {name: ndarray}: random inputs of the problem.
    run(arrays, shape, config) -> DeviceArray or tuple: one call of the kernel(s) with ``config``.
    reference(arrays, shape) -> ndarray or tuple: the float64 numpy twin of ``run``'s outputs.
    work(shape, dtype) -> (flops, bytes): reported as TFLOP/s when flops, else GB/s.
    resources(config, shape, dtype) -> (shared memory bytes, registers per thread): estimates.
    """
    name: str
    params: tuple
    space: Callable
    default: Callable
    key: Callable
    inputs: Callable
    run: Callable
    reference: Callable
    work: Callable
    resources: Callable
    optional: dict = None
    dtypes: tuple = DTYPES

    def full_shape(self, shape):
        """``shape`` with the optional params' defaults filled in."""
        return {**shape, **{k: v for k, v in (self.optional or {}).items() if k not in shape}}


def resolve(name, registry):
    """The Tunable called ``name`` in ``registry`` (dict), or imported from ``"module:attribute"``."""
    if name in registry:
        return registry[name]
    if ":" not in name:
        raise KeyError(name)
    module, _, attr = name.partition(":")
    from ..train.imports import is_stdlib_name
    if is_stdlib_name(module):  # checked before importing: a sweep file naming `this:s` must not run `this`
        raise ImportError(f"{module!r} is part of Python's standard library, not a module of Tunables")
    tunable = getattr(importlib.import_module(module), attr)
    if not isinstance(tunable, Tunable):
        raise TypeError(f"{name} is a {type(tunable).__name__}, not a tritorch.tune.Tunable")
    return tunable


def np_dtype(name):
    """The numpy dtype of a dtype name ("bfloat16" is ml_dtypes' bfloat16)."""
    return as_dtype(name)


def relative_error(outputs, expected):
    """max over outputs of ``max|out - ref| / max|ref|`` (inf for a NaN, a shape mismatch or a missing output)."""
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    if len(outputs) != len(expected):
        return float("inf")
    worst = 0.0
    for out, ref in zip(outputs, expected):
        if ref is None:
            continue
        out = np.asarray(out.numpy() if hasattr(out, "numpy") else out, np.float64)
        ref = np.asarray(ref, np.float64)
        if out.shape != ref.shape:
            return float("inf")
        if not ref.size:
            continue
        finite = np.isfinite(ref)
        if not np.array_equal(np.isfinite(out), finite) or not np.array_equal(out[~finite], ref[~finite]):
            return float("inf")
        scale = max(float(np.abs(ref[finite]).max(initial=0.0)), 1e-30)
        worst = max(worst, float(np.abs(out[finite] - ref[finite]).max(initial=0.0)) / scale)
    return worst


def fits(resources, properties, num_warps):
    """None when a config's estimated ``(shared memory, registers per thread)`` fit the device, else
    the reason it does not (a string naming the estimate and the limit)."""
    shared, registers = resources
    limit = properties["shared_memory_per_block_optin"]
    if shared > limit:
        return f"shared memory ~{int(shared)} B > {limit} B"
    threads = num_warps * properties.get("warp_size", 32)
    per_thread = min(MAX_REGISTERS_PER_THREAD, properties["registers_per_block"] // threads)
    if registers > per_thread:
        return f"registers ~{int(registers)} per thread > {per_thread}"
    return None
