"""Tensor attributes about where a tensor lives that PyTorch programs query: ``get_device()``,
``is_cpu``, ``is_mps``/``is_xpu``/``is_meta`` (False: tritorch has none of those devices),
``is_sparse``/``is_quantized`` and ``is_complex()`` (False: no such tensors), ``pin_memory()`` /
``is_pinned()`` and the legacy ``new(...)`` constructor."""

__all__ = ["install"]


def get_device(self):
    """-1 for a cpu tensor, else the cuda device index (PyTorch's convention)."""
    return -1 if self.device.type == "cpu" else (self.device.index or 0)


def pin_memory(self, device=None):
    """Returns the tensor: tritorch's host-to-device copies do not use page-locked memory, so there
    is nothing to pin (the copy is correct either way, ``non_blocking`` or not)."""
    if self.device.type != "cpu":
        raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
    return self


def is_pinned(self, device=None):
    return False


def new(self, *args, **kwargs):
    """Legacy ``x.new(2, 3)`` (uninitialised; tritorch: zeros) / ``x.new([1, 2])`` / ``x.new()``:
    a tensor of ``x``'s dtype on ``x``'s device."""
    from ._legacy_tensor_types import CPU_TYPES, CUDA_TYPES, _STEM_OF
    types = CPU_TYPES if self.device.type == "cpu" else CUDA_TYPES
    kwargs.setdefault("device", self.device)
    return types[f"{_STEM_OF[self.dtype.name]}Tensor"](*args, **kwargs)


def install(tensor_cls):
    tensor_cls.get_device = get_device
    tensor_cls.pin_memory = pin_memory
    tensor_cls.is_pinned = is_pinned
    tensor_cls.new = new
    tensor_cls.is_cpu = property(lambda self: self.device.type == "cpu")
    for name in ("is_mps", "is_xpu", "is_meta", "is_sparse", "is_quantized"):
        if not hasattr(tensor_cls, name):
            setattr(tensor_cls, name, property(lambda self: False))
    if not hasattr(tensor_cls, "is_complex"):
        tensor_cls.is_complex = lambda self: False      # a method in PyTorch; tritorch has no complex dtypes
