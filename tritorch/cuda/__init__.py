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
