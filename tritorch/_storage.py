"""Tensor.untyped_storage() / storage() / storage_offset(): the memory block behind a tensor.

A storage here is a read-only description of that block: where it starts (``data_ptr()``), how big
it is (``nbytes()``, ``size()``), its device, and for ``storage()`` (PyTorch's deprecated
TypedStorage) the tensor's dtype and element count. Views share their base's storage, so
``a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()`` tells whether two tensors share
memory, as in PyTorch. On the CPU the block is the numpy array that owns the memory; on cuda the
device allocation. Reading or resizing elements through a storage is not supported (it raises).
"""
import warnings

import numpy as np

__all__ = ["UntypedStorage", "TypedStorage", "install"]


def _block(tensor):
    """(start address, bytes, address of element 0) of the memory behind `tensor`."""
    data = tensor._data
    if isinstance(data, np.ndarray):
        root = data
        while isinstance(root.base, np.ndarray):
            root = root.base
        return root.ctypes.data, root.nbytes, data.ctypes.data
    mem = data.storage
    nbytes = getattr(mem, "nbytes", None)
    if nbytes is None:   # another library's memory: the extent this view reaches
        reach = data.offset + sum((n - 1) * s for n, s in zip(data.shape, data.strides) if n > 0) + 1
        nbytes = reach * data.itemsize if data.numel() else data.offset * data.itemsize
    return mem.ptr, int(nbytes), data.data_ptr()


class UntypedStorage:
    """The bytes behind a tensor: data_ptr(), nbytes(), size() (= nbytes), element_size() (= 1)."""

    def __init__(self, ptr, nbytes, device):
        self._ptr, self._nbytes, self.device = int(ptr), int(nbytes), device

    def data_ptr(self):
        return self._ptr

    def nbytes(self):
        return self._nbytes

    def size(self):
        return self._nbytes

    def __len__(self):
        return self._nbytes

    def element_size(self):
        return 1

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def __getitem__(self, idx):
        raise NotImplementedError("tritorch storages describe memory (data_ptr, nbytes, size) and cannot be "
                                  "indexed; read the values through the tensor instead")

    def resize_(self, size):
        raise NotImplementedError("Storage.resize_: tritorch cannot resize the memory under a tensor; build a "
                                  "new tensor (tritorch.empty / new_empty) instead")

    def __repr__(self):
        return f"{type(self).__name__}(data_ptr={self._ptr:#x}, nbytes={self._nbytes}, device='{self.device}')"


class TypedStorage(UntypedStorage):
    """PyTorch's deprecated typed storage: the same block counted in elements of `dtype`."""

    def __init__(self, ptr, nbytes, device, dtype):
        super().__init__(ptr, nbytes, device)
        self.dtype = dtype

    def element_size(self):
        return self.dtype.itemsize

    def size(self):
        return self._nbytes // self.dtype.itemsize

    def __len__(self):
        return self.size()

    def untyped(self):
        return UntypedStorage(self._ptr, self._nbytes, self.device)

    def _untyped_storage(self):
        return self.untyped()


def untyped_storage(self):
    start, nbytes, _ = _block(self)
    return UntypedStorage(start, nbytes, self.device)


def storage(self):
    warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the "
                  "only storage class. This should only matter to you if you are using storages directly. To "
                  "access UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()",
                  UserWarning, stacklevel=2)
    start, nbytes, _ = _block(self)
    return TypedStorage(start, nbytes, self.device, self.dtype)


def storage_offset(self):
    """Elements between the start of the storage and element [0, ..., 0]."""
    start, _, first = _block(self)
    return (first - start) // self._data.dtype.itemsize


_NO_SHARED = ("tritorch has no shared-memory tensors: tensors reach other processes pickled by value, so a "
              "child's in-place updates (e.g. Hogwild training) would never reach this process; train in one "
              "process or use tritorch.distributed (all_reduce) to combine the workers' results")


def share_memory_(self):
    """Raises NotImplementedError: pretending to share would lose every update a child makes."""
    raise NotImplementedError(f"Tensor.share_memory_: {_NO_SHARED}")


def is_shared(self):
    """False: no tritorch tensor lives in shared memory."""
    return False


def install(tensor_cls):
    tensor_cls.share_memory_ = share_memory_
    tensor_cls.is_shared = is_shared
    tensor_cls.untyped_storage = untyped_storage
    tensor_cls.storage = storage
    tensor_cls.storage_offset = storage_offset
