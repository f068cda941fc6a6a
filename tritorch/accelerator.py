"""torch.accelerator: the device-agnostic spelling of "the GPU, if there is one".

tritorch's only accelerator is ``cuda`` (a GPU through cuda-python, or the emulated device under
``TRITON_INTERPRET=1``). Nothing here queries a device at import time.

    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
"""
from ._device import device as _device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "current_device_idx",
           "set_device_index", "set_device_idx", "device_index", "synchronize"]


def _cuda():
    from . import cuda
    return cuda


def is_available():
    """True when a cuda device can run kernels (a GPU, or the emulated device)."""
    return _cuda().is_available()


def current_accelerator(check_available=False):
    """``device(type='cuda')`` when there is one, else None (``check_available`` is accepted as in
    PyTorch: with no accelerator the answer is None either way)."""
    return _device("cuda") if _cuda().is_available() else None


def device_count():
    """Number of cuda devices (0 without one)."""
    cuda = _cuda()
    return cuda.device_count() if cuda.is_available() else 0


def _require():
    if not _cuda().is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def current_device_index():
    """Index of the current cuda device; RuntimeError without one, as in PyTorch."""
    _require()
    return _cuda().current_device()


current_device_idx = current_device_index


def set_device_index(device):
    """Make cuda device ``device`` (int, ``'cuda:1'``, tritorch.device) current."""
    _require()
    _cuda().set_device(device)


set_device_idx = set_device_index


class device_index:
    """Context manager: device ``idx`` current inside the block (None: no change)."""

    def __init__(self, device):
        self.idx = device

    def __enter__(self):
        if self.idx is not None:
            _require()
            self._ctx = _cuda().device(self.idx)
            self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        if self.idx is not None:
            self._ctx.__exit__(*exc)
        return False


def synchronize(device=None):
    """Wait for the current (or given) cuda device's queued work."""
    _require()
    _cuda().synchronize(device)
