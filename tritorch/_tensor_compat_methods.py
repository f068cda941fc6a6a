"""Tensor methods PyTorch programs call that sit outside the op library: where a tensor lives
(``get_device()``, ``is_cpu``, ``is_mps``/``is_xpu``/``is_meta`` -- False: tritorch has none of those
devices -- ``is_sparse``/``is_quantized``/``is_complex()``, ``pin_memory()``/``is_pinned()``) and the
legacy ``new(...)`` constructor and ``resize_``/``resize_as_``."""

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


def resize_(self, *sizes, memory_format=None):
    """Give the tensor shape ``sizes`` in place, keeping its first elements in row-major order; new
    elements are zeros (PyTorch: uninitialised). Refused on a tensor that requires grad, as in PyTorch."""
    from ._ops._util import size_args
    from ._ops.creation import zeros
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = size_args(sizes)
    n = 1
    for s in shape:
        n *= s
    flat = self.detach().reshape(-1)
    out = zeros(n, dtype=self.dtype, device=self.device)
    keep = min(n, flat.numel())
    if keep:
        out[:keep] = flat[:keep]
    self.data = out.reshape(shape)
    return self


def resize_as_(self, the_template, memory_format=None):
    return resize_(self, *the_template.shape)


def install(tensor_cls):
    tensor_cls.resize_ = resize_
    tensor_cls.resize_as_ = resize_as_
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
