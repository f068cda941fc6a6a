"""PyTorch's per-device autocast getters (deprecated there in favour of the ``device_type`` forms)."""
from .autocast import get_autocast_dtype, is_autocast_enabled

__all__ = ["get_autocast_gpu_dtype", "get_autocast_cpu_dtype", "is_autocast_cpu_enabled"]


def get_autocast_gpu_dtype():
    return get_autocast_dtype("cuda")


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def is_autocast_cpu_enabled():
    return is_autocast_enabled("cpu")
