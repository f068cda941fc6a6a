"""DeviceArray: a strided view of device memory, torch-free.

A ``DeviceArray`` is ``(storage, offset, shape, strides, dtype)``: ``storage`` owns the memory
(an ``Allocation``, or ``ExternalMemory`` for another library's array), ``offset`` and
``strides`` count *elements*, ``dtype`` is a numpy dtype (bfloat16 is ``ml_dtypes.bfloat16``).
Views (``a[1:, ::2]``, ``a.T``, ``a.transpose(0, 1)``, ``a.reshape(...)``) share storage.

Kernels receive DeviceArrays directly: ``data_ptr()`` and ``dtype`` are all Triton's launcher
reads on a real GPU, and the few torch-like methods at the end of the class (``size()``,
``stride()``, ``storage_offset()``, ``untyped_storage()``, ``new_empty``/``set_``) are what
Triton's interpreter needs when the device is emulated.
"""
import ml_dtypes
import numpy as np

from . import transfer
from .layout import contiguous_strides, infer_shape, view_strides

DTYPES = tuple(np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                     np.float16, ml_dtypes.bfloat16, np.float32, np.float64))


def as_dtype(dtype):
    """``dtype`` (a numpy dtype, type or name such as "bfloat16") as a supported numpy dtype."""
    if isinstance(dtype, str) and dtype == "bfloat16":
        dtype = ml_dtypes.bfloat16
    dtype = np.dtype(dtype)
    if dtype not in DTYPES:
        raise TypeError(f"unsupported dtype {dtype}; supported: {', '.join(str(d) for d in DTYPES)}")
    return dtype


class DeviceArray:
    """A strided view of device memory.

    Args:
        storage (Allocation or ExternalMemory): owns the memory and keeps it alive.
        shape (tuple of int): sizes.
        strides (tuple of int, optional): element strides. Default: row-major.
        dtype (numpy dtype): element type.
        offset (int, optional): elements between ``storage.ptr`` and element ``[0, ..., 0]``.
    """

    def __init__(self, storage, shape, dtype, strides=None, offset=0):
        self.storage = storage
        self.shape = tuple(int(n) for n in shape)
        self.dtype = as_dtype(dtype)
        self.strides = contiguous_strides(self.shape) if strides is None else tuple(int(s) for s in strides)
        self.offset = int(offset)
        if len(self.strides) != len(self.shape):
            raise ValueError(f"shape {self.shape} and strides {self.strides} differ in length")

    # -- description ---------------------------------------------------------------------------
    ndim = property(lambda self: len(self.shape))
    itemsize = property(lambda self: self.dtype.itemsize)
    device = property(lambda self: self.storage.device)

    def numel(self):
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    def data_ptr(self):
        """Address (int) of element ``[0, ..., 0]``: a device pointer, or host when emulated."""
        return self.storage.ptr + self.offset * self.itemsize

    def is_contiguous(self):
        """True when the elements are densely packed in row-major order."""
        if self.numel() <= 1:
            return True
        return all(n == 1 or s == c for n, s, c in zip(self.shape, self.strides, contiguous_strides(self.shape)))

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d DeviceArray")
        return self.shape[0]

    def __repr__(self):
        return (f"DeviceArray(shape={self.shape}, dtype={self.dtype}, strides={self.strides}, "
                f"device={self.device}, ptr={self.data_ptr():#x})")

    # -- views -----------------------------------------------------------------------------------
    def _view(self, shape, strides, offset=None, dtype=None):
        return DeviceArray(self.storage, shape, dtype or self.dtype, strides,
                           self.offset if offset is None else offset)

    def __getitem__(self, index):
        """Basic indexing (ints, slices with any step, ``...``, ``None``), returning a view."""
        index = index if isinstance(index, tuple) else (index,)
        if sum(i is Ellipsis for i in index) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        used = sum(i is not None and i is not Ellipsis for i in index)
        if used > self.ndim:
            raise IndexError(f"too many indices ({used}) for an array of shape {self.shape}")
        if Ellipsis in index:
            at = index.index(Ellipsis)
            index = index[:at] + (slice(None),) * (self.ndim - used) + index[at + 1:]
        else:
            index = index + (slice(None),) * (self.ndim - used)
        shape, strides, offset, dim = [], [], self.offset, 0
        for i in index:
            if i is None:
                shape.append(1)
                strides.append(0)
                continue
            n, s = self.shape[dim], self.strides[dim]
            if isinstance(i, slice):
                start, stop, step = i.indices(n)
                shape.append(len(range(start, stop, step)))
                strides.append(s * step)
                offset += start * s if shape[-1] else 0  # an empty slice may start past the end
            elif isinstance(i, (int, np.integer)):
                if not -n <= i < n:
                    raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
                offset += (i % n) * s
            else:
                raise TypeError(f"DeviceArray supports basic indexing only (ints, slices, ..., None); got {i!r}")
            dim += 1
        return self._view(shape, strides, offset)

    def __setitem__(self, index, value):
        """``a[index] = value``: copies ``value`` (DeviceArray, numpy array or scalar) into the view."""
        view = self[index]
        if np.isscalar(value):
            view.fill_(value)
        else:
            view.copy_(value)

    def permute(self, *dims):
        """View with dimensions reordered: ``a.permute(1, 0)``."""
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        dims = tuple(d % self.ndim for d in dims) if self.ndim else dims
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(f"permute dims {dims} are not a permutation of {self.ndim} dimensions")
        return self._view([self.shape[d] for d in dims], [self.strides[d] for d in dims])

    def transpose(self, dim0, dim1):
        """View with ``dim0`` and ``dim1`` swapped."""
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(dims)

    @property
    def T(self):
        """View with all dimensions reversed (the matrix transpose for 2-D)."""
        return self.permute(tuple(reversed(range(self.ndim))))

    def reshape(self, *shape):
        """View with a new shape (one size may be -1); raises ValueError when no view exists."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        shape = infer_shape(shape, self.numel(), self.shape)
        strides = view_strides(self.shape, self.strides, shape)
        if strides is None:
            raise ValueError(f"cannot reshape {self.shape} with strides {self.strides} to {shape} without a "
                             "copy; call .contiguous() first")
        return self._view(shape, strides)

    def broadcast_to(self, shape):
        """View expanded to ``shape`` with stride 0 on broadcast dimensions (numpy's rules)."""
        shape = tuple(int(n) for n in shape)
        if len(shape) < self.ndim:
            raise ValueError(f"cannot broadcast {self.shape} to {shape}")
        lead = len(shape) - self.ndim
        strides = [0] * lead
        for n, own, s in zip(shape[lead:], self.shape, self.strides):
            if own != n and own != 1:
                raise ValueError(f"cannot broadcast {self.shape} to {shape}")
            strides.append(s if own == n else 0)
        return self._view(shape, strides)

    def view(self, dtype):
        """Reinterpret the elements as ``dtype`` of the same itemsize (e.g. float16 as int16)."""
        dtype = as_dtype(dtype)
        if dtype.itemsize != self.itemsize:
            raise ValueError(f"view needs a dtype of the same size: {self.dtype} -> {dtype}")
        return self._view(self.shape, self.strides, dtype=dtype)

    # -- copies ----------------------------------------------------------------------------------
    def numpy(self):
        """A new host numpy array with this array's values (row-major)."""
        return transfer.download(self)

    def copy_(self, other):
        """Copy ``other`` (DeviceArray or numpy array, broadcastable to ``self.shape``) into this
        array in place, converting dtypes. Returns ``self``."""
        transfer.copy(self, other)
        return self

    def fill_(self, value):
        """Set every element to ``value`` (a Python scalar). Returns ``self``."""
        transfer.fill(self, value)
        return self

    def zero_(self):
        """Set every element to zero. Returns ``self``."""
        return self.fill_(0)

    def contiguous(self):
        """This array if it is contiguous, else a contiguous copy."""
        return self if self.is_contiguous() else self.clone()

    def clone(self):
        """A contiguous copy in new memory."""
        return transfer.empty(self.shape, self.dtype).copy_(self)

    # -- interop (see interop.py) ------------------------------------------------------------------
    @property
    def __cuda_array_interface__(self):
        from .interop import cuda_array_interface
        return cuda_array_interface(self)

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        from .interop import to_dlpack
        return to_dlpack(self, stream)

    def __dlpack_device__(self):
        from .interop import dlpack_device
        return dlpack_device(self)

    # -- what Triton's interpreter asks of a pointer argument ----------------------------------
    def size(self, dim=None):
        """The shape (torch's spelling), or its ``dim``-th entry."""
        return self.shape if dim is None else self.shape[dim]

    def stride(self, dim=None):
        """The element strides (torch's spelling), or the ``dim``-th one."""
        return self.strides if dim is None else self.strides[dim]

    def storage_offset(self):
        return self.offset

    def untyped_storage(self):
        return self.storage

    def new_empty(self, size, device=None):
        """An empty array of the same dtype with no memory; ``set_`` points it at a storage."""
        return DeviceArray(self.storage, (0,), self.dtype)

    def set_(self, storage, storage_offset, size, stride):
        """Point this array at ``storage`` with the given offset, shape and strides (in place)."""
        self.storage, self.offset = storage, int(storage_offset)
        self.shape, self.strides = tuple(size), tuple(stride)
        return self
