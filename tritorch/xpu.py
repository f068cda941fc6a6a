"""torch.xpu (Intel GPUs): tritorch has no XPU backend, so this is PyTorch's CPU-build answer:
is_available() is False, device_count() is 0, and asking for a device raises its AssertionError."""
__all__ = ["is_available", "device_count", "get_device_properties", "get_device_name", "synchronize",
           "empty_cache", "manual_seed", "manual_seed_all"]

_NOT_COMPILED = "Torch not compiled with XPU enabled"


def is_available():
    return False


def device_count():
    return 0


def get_device_properties(device=None):
    raise AssertionError(_NOT_COMPILED)


def get_device_name(device=None):
    raise AssertionError(_NOT_COMPILED)


def synchronize(device=None):
    raise AssertionError(_NOT_COMPILED)


def empty_cache():
    """Nothing is cached without a device: does nothing, as PyTorch's CPU build."""


def manual_seed(seed):
    """No XPU generator exists to seed: does nothing, as PyTorch's CPU build (it defers the seed)."""


def manual_seed_all(seed):
    """As manual_seed."""
