"""PyTorch's legacy (pre-1.6, ``_use_new_zipfile_serialization=False``) ``.pt`` files, read with the
same restricted unpickler as the zip format (``serialization_pt``): many model-zoo ``.pth`` files
from before 2020 are in this format.

The layout: five pickles one after the other -- the magic number, the protocol version (1001), a
sys_info dict, the object (storages as persistent ids ``('storage', torch.FloatStorage, key,
location, numel, view_metadata)``) and the sorted list of storage keys -- then, for each key, the
storage's element count (int64) and its raw bytes. The tensors are unpickled before their bytes
are read, so each is made empty (sized by the file: a storage must fit in what the file holds) and
filled once the bytes are in.
"""
import io
import pickle

import numpy as np

from . import serialization_pt as _pt

__all__ = ["is_legacy_pt", "load_legacy_pt"]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def is_legacy_pt(data):
    """True when ``data`` starts with the legacy format's pickled magic number."""
    return data[:4] == b"\x80\x02\x8a\x0a" and int.from_bytes(data[4:14], "little") == MAGIC_NUMBER


class _PendingStorage:
    def __init__(self, kind, location, numel):
        self.kind, self.location, self.numel = kind, location, numel
        self.array = None
        self.waiting = []          # (ndarray to fill, offset, size, stride)

    def tensor(self, storage_offset, size, stride):
        _pt._check_fits(self.numel, storage_offset, size, stride)   # numel is bounded by the file's size
        out = np.zeros(tuple(size), self.kind.dtype.np)
        self.waiting.append((out, storage_offset, size, stride))
        t = _pt.Tensor._make(out, _pt._Device("cpu"))
        t._pt_location = self.location
        return t

    def fill(self, array):
        self.array = array
        for out, offset, size, stride in self.waiting:
            out[...] = _pt._strided_copy(array, offset, size, stride)


class _Storages:
    def __init__(self, budget):
        self.budget = budget       # bytes the file has left for storage data
        self.storages = {}

    def storage(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"
                and isinstance(pid[1], _pt._StorageType)):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, kind, key, location, numel, view = pid
        if view is not None:
            raise pickle.UnpicklingError("storage views (files from PyTorch before 0.4) are not supported")
        if key not in self.storages:
            numel = int(numel)
            if numel < 0 or numel * kind.dtype.np.itemsize > self.budget:
                raise pickle.UnpicklingError(f"storage {key} announces {numel} elements, more than the file holds")
            self.storages[key] = _PendingStorage(kind, str(location), numel)
        return self.storages[key]


def _read_storages(fh, storages, keys):
    for key in keys:
        if key not in storages.storages:
            raise ValueError(f"the storage list names {key!r}, which the pickle never used")
        st = storages.storages[key]
        count = int.from_bytes(fh.read(8), "little", signed=True)
        if count != st.numel:
            raise ValueError(f"storage {key} holds {count} elements, but the pickle announces {st.numel}")
        raw = fh.read(count * st.kind.dtype.np.itemsize)
        if len(raw) != count * st.kind.dtype.np.itemsize:
            raise ValueError(f"storage {key} is truncated")
        st.fill(np.frombuffer(raw, dtype=st.kind.dtype.np.newbyteorder("<")).astype(st.kind.dtype.np))


def load_legacy_pt(data, name, map_location=None, weights_only=True):
    """The object in a legacy PyTorch file (``data``: its bytes; ``name``: for messages)."""
    from .serialization import SerializationError, _location
    what = f"tritorch.load: {name}"
    fh = io.BytesIO(data)
    storages = _Storages(len(data))
    unpickler_class = _pt._WeightsOnlyUnpickler if weights_only else _pt._FullUnpickler
    try:
        magic, protocol, sys_info = (_pt._WeightsOnlyUnpickler(fh, None).load() for _ in range(3))
        if magic != MAGIC_NUMBER or protocol != PROTOCOL_VERSION:
            raise ValueError(f"magic number {magic!r} / protocol {protocol!r} are not PyTorch's legacy format")
        if not (isinstance(sys_info, dict) and sys_info.get("little_endian", True)):
            raise ValueError("the file was written on a big-endian machine, which tritorch does not read")
        obj = unpickler_class(fh, storages).load()
        keys = _pt._WeightsOnlyUnpickler(fh, None).load()
        if not isinstance(keys, list):
            raise ValueError("the storage key list is missing")
        _read_storages(fh, storages, keys)
    except pickle.UnpicklingError as e:
        raise SerializationError(f"{what} is a legacy PyTorch file that cannot be loaded: {e}") from None
    except (ValueError, TypeError, EOFError, IndexError, AttributeError, KeyError) as e:
        raise SerializationError(f"{what} is not a readable legacy PyTorch file ({type(e).__name__}: {e})") from None
    missing = [k for k, st in storages.storages.items() if st.array is None]
    if missing:
        raise SerializationError(f"{what}: storages {missing} have no data (truncated file)")
    return _pt._place(obj, map_location, _location)
