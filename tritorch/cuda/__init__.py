"""tritorch's CUDA runtime: devices, memory, streams, events, arrays and Triton's driver, torch-free.

Importing this package touches neither CUDA nor triton; the first call that needs the GPU
loads cuda-python. With ``TRITON_INTERPRET=1`` the device is emulated in host memory and
kernels run in Triton's interpreter, so all of this works on a machine without a GPU.

Example::

    import numpy as np
    from tritorch import cuda
    a = cuda.to_device(np.arange(6, dtype=np.float32).reshape(2, 3))   # (2, 3) float32
    b = a.T                       # (3, 2) view, strides (1, 3), no copy
    print(b.numpy(), cuda.memory_allocated())
"""
from .array import DTYPES, DeviceArray, as_dtype
from .benchmark import benchmark
from .device import (current_device, device_count, get_device_capability, get_device_name, get_device_properties,
                     is_available, is_emulated, set_device, synchronize)
from .errors import DeviceIndexError, error_flag
from .interop import as_device_array, from_dlpack
from .memory import max_memory_allocated, memory_allocated, reset_peak_memory_stats
from .streams import Event, Stream, current_stream, stream
from .transfer import empty, empty_like, full, to_device, zeros
from .triton_driver import install as install_triton_driver

__all__ = [
    "DTYPES", "DeviceArray", "DeviceIndexError", "Event", "Stream", "as_device_array", "as_dtype", "benchmark", "current_device",
    "current_stream", "device_count", "empty", "empty_like", "error_flag", "from_dlpack", "full", "get_device_capability",
    "get_device_name", "get_device_properties", "install_triton_driver", "is_available", "is_emulated",
    "max_memory_allocated", "memory_allocated", "reset_peak_memory_stats", "set_device", "stream", "synchronize", "to_device", "zeros",
]

# PyTorch's torch.cuda names (seeding, the `device` context manager, memory figures, device arguments
# as 'cuda:1' / tritorch.device): these replace the runtime's int-only set_device/synchronize/get_device_*
# here; `device` is then PyTorch's context manager (the runtime module stays tritorch.cuda.device in
# sys.modules for `from .device import ...`).
from .pytorch_api import (device, device_of, empty_cache, get_device_capability, get_device_name,  # noqa: E402
                          get_device_properties, get_rng_state, initial_seed, is_bf16_supported, is_initialized,
                          manual_seed, manual_seed_all, max_memory_reserved, memory_reserved, seed, seed_all,
                          set_device, set_rng_state, synchronize, Stream, Event)

__all__ += ["device", "device_of", "empty_cache", "get_rng_state", "initial_seed", "is_bf16_supported",
            "is_initialized", "manual_seed", "manual_seed_all", "max_memory_reserved", "memory_reserved", "seed",
            "seed_all", "set_rng_state"]


def __getattr__(name):
    """Imported on first use (they import the framework, which sits above this runtime):
    `amp` (torch.cuda.amp) and the legacy types (torch.cuda.FloatTensor, ...)."""
    if name == "amp":
        import importlib
        return importlib.import_module(f"{__name__}.amp")
    if name.endswith("Tensor"):
        from .._legacy_tensor_types import CUDA_TYPES
        if name in CUDA_TYPES:
            return CUDA_TYPES[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
