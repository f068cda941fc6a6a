"""Internal dispatch: one implementation of each primitive per device.

(Not `tritorch.backends`: that name is PyTorch's public `torch.backends` namespace.)

The autograd layer never branches on the device: an op asks `backend_for(tensor.device)` for
the module that implements its primitive. `cpu` is numpy. `cuda` (tritorch.kernels on
DeviceArrays) registers itself here when it is importable, with `register("cuda", module)`.
"""
import importlib

TRITON_MISSING = ("the cuda device needs Triton, which is not installed: pip install -e '.[cuda]' on a GPU "
                  "machine, or pip install -e '.[interpret]' to emulate it (TRITON_INTERPRET=1)")
_BACKENDS = {}
_LAZY = {"cpu": "tritorch._dispatch.cpu", "cuda": "tritorch._dispatch.cuda"}


def register(device_type, module):
    _BACKENDS[device_type] = module


def backend_for(device):
    kind = device.type
    mod = _BACKENDS.get(kind)
    if mod is None:
        try:
            mod = importlib.import_module(_LAZY[kind])
        except ModuleNotFoundError as e:
            if e.name == "triton":
                raise ModuleNotFoundError(TRITON_MISSING) from None
            if e.name != _LAZY[kind]:
                raise
            raise RuntimeError(f"tritorch has no backend for device '{device}' in this build") from None
        _BACKENDS[kind] = mod
    return mod
