"""The ``torch.cuda`` names programs call that tritorch's runtime does not need itself: seeding,
the ``device`` context manager, cache and reserved-memory figures, bf16 support, and device
arguments given as ``'cuda:1'`` / ``tritorch.device`` as PyTorch accepts them.

Nothing here queries a GPU at import time. Seeding: tritorch's cpu and cuda draws come from ONE
default generator (the cuda draws are Philox streams keyed by its seed), so when CUDA is usable
``manual_seed(s)`` reseeds that shared generator, cpu draws included; when it is not,
``manual_seed`` does nothing, as in PyTorch (there is no cuda generator to seed).
"""
import gc
import os

from . import device as _runtime, streams as _streams
from .memory import memory_allocated as _allocated

__all__ = ["manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed", "get_rng_state",
           "set_rng_state", "empty_cache", "memory_reserved", "max_memory_reserved", "is_bf16_supported",
           "is_initialized", "device", "device_of", "set_device", "get_device_name", "get_device_capability",
           "get_device_properties", "synchronize", "Stream", "Event"]


def _index(d):
    """A device argument (int, 'cuda:1', 'cuda', tritorch.device, None) -> int index or None."""
    if d is None or isinstance(d, int):
        return d
    from .._device import as_device
    d = as_device(d)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return d.index or 0


def _generator():
    from .._random import default_generator
    return default_generator


def manual_seed(seed):
    """Seed the cuda draws (tritorch's one default generator; see the module docstring)."""
    if _runtime.is_available():
        _generator().manual_seed(seed)


manual_seed_all = manual_seed


def seed():
    if _runtime.is_available():
        _generator().seed()


seed_all = seed


def initial_seed():
    return _generator().initial_seed()


def get_rng_state(device="cuda"):
    return _generator().get_state()


def set_rng_state(new_state, device="cuda"):
    _generator().set_state(new_state)


def is_initialized():
    """True once tritorch has initialised CUDA (or the device is emulated)."""
    return _runtime.is_emulated() or _runtime._initialized


def empty_cache():
    """Give cached, unused device memory back to the driver (a no-op before CUDA is initialised,
    as in PyTorch). Emulated: collects the garbage that keeps freed host buffers alive."""
    if _runtime.is_emulated():
        gc.collect()
        return
    if not _runtime._initialized:
        return
    driver = _runtime.driver_api()
    handle = _runtime.check(driver.cuDeviceGet(_runtime.current_device()))
    pool = _runtime.check(driver.cuDeviceGetDefaultMemPool(handle))
    _runtime.check(driver.cuMemPoolTrimTo(pool, 0))


def _pool_attribute(name, device):
    driver = _runtime.driver_api()
    index = _runtime.current_device() if device is None else _index(device)
    pool = _runtime.check(driver.cuDeviceGetDefaultMemPool(_runtime.check(driver.cuDeviceGet(index))))
    value = _runtime.check(driver.cuMemPoolGetAttribute(getattr(driver.CUmemPool_attribute, name), pool))
    return int(value)


def memory_reserved(device=None):
    """Bytes the device's memory pool holds (allocated + cached). 0 before CUDA is initialised;
    emulated: what is allocated (freed host buffers are not cached)."""
    if _runtime.is_emulated():
        return _allocated(_index(device))
    if not _runtime._initialized:
        return 0
    return _pool_attribute("CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT", device)


def max_memory_reserved(device=None):
    if _runtime.is_emulated():
        from .memory import max_memory_allocated
        return max_memory_allocated(_index(device))
    if not _runtime._initialized:
        return 0
    return _pool_attribute("CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH", device)


def is_bf16_supported(including_emulation=True):
    """bfloat16 kernels run here: compute capability 8.0 or newer, or the emulated device."""
    if not _runtime.is_available():
        return False
    return _runtime.is_emulated() or _runtime.get_device_capability() >= (8, 0)


def set_device(device):
    """Make ``device`` (int, ``'cuda:1'``, tritorch.device) current for this thread."""
    index = _index(device)
    if index is not None and index >= 0:
        _runtime.set_device(index)


def synchronize(device=None):
    return _runtime.synchronize(_index(device))


def get_device_name(device=None):
    return _runtime.get_device_name(_index(device))


def get_device_capability(device=None):
    return _runtime.get_device_capability(_index(device))


class _DeviceProperties(dict):
    """The runtime's properties dict, also readable as PyTorch's attributes (``.name``,
    ``.total_memory``, ``.major``, ``.minor``, ``.multi_processor_count``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"'_CudaDeviceProperties' object has no attribute '{name}'") from None


def _total_memory(index):
    if _runtime.is_emulated():
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    driver = _runtime.driver_api()
    return int(_runtime.check(driver.cuDeviceTotalMem(_runtime.check(driver.cuDeviceGet(index)))))


def get_device_properties(device=None):
    index = _index(device)
    props = _DeviceProperties(_runtime.get_device_properties(index))
    props.setdefault("major", props["capability"][0])
    props.setdefault("minor", props["capability"][1])
    props.setdefault("multi_processor_count", props["multiprocessor_count"])
    props.setdefault("total_memory", _total_memory(_runtime.current_device() if index is None else index))
    return props


class device:
    """Context manager: make device ``index`` (int, ``'cuda:1'``, tritorch.device; None or -1: no
    change) current inside the block, and the previous one again after it."""

    def __init__(self, device):
        self.idx = _index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is None or self.idx < 0:
            return self
        self.prev_idx = _runtime.current_device()
        if self.prev_idx != self.idx:
            _runtime.set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev_idx >= 0 and self.prev_idx != self.idx:
            _runtime.set_device(self.prev_idx)
        return False


_device_context = device    # (Stream's `device` argument shadows the class name)


class device_of(device):
    """``device`` of a tensor's device (a no-op for a cpu tensor)."""

    def __init__(self, obj):
        super().__init__(obj.device.index if obj.device.type == "cuda" else -1)


class Stream(_streams.Stream):
    """``torch.cuda.Stream(device=None, priority=0)``: a new stream on ``device`` (default: the
    current one); ``Stream(handle=h)`` wraps an existing CUstream as the runtime's Stream does.
    ``priority`` is accepted and not applied (every stream has the default priority)."""

    def __init__(self, device=None, priority=0, handle=None):
        with _device_context(device):
            super().__init__(handle=handle)


class Event(_streams.Event):
    """``torch.cuda.Event(enable_timing=..., blocking=False, interprocess=False)``: PyTorch's keywords
    on the runtime's Event. ``enable_timing`` defaults to True, the runtime's default (PyTorch: False,
    where ``elapsed_time`` then raises); ``blocking`` is accepted (synchronize() waits either way)."""

    def __init__(self, enable_timing=True, blocking=False, interprocess=False):
        if interprocess:
            raise NotImplementedError("tritorch.cuda.Event(interprocess=True): IPC event handles are not supported")
        super().__init__(enable_timing=enable_timing)
