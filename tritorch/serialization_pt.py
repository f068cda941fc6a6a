"""PyTorch's ``.pt`` files (``torch.save``'s zip format), read without running code and written so
that PyTorch's default ``torch.load`` (``weights_only=True``) reads them.

The format: a zip archive whose entries share one folder (``archive/``): ``data.pkl`` (the object,
pickled; each tensor is ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)``
whose storage is a *persistent id* ``('storage', torch.FloatStorage, key, location, numel)``),
``data/<key>`` (each storage's raw bytes), ``byteorder`` and ``version``.

Reading (``weights_only=True``, the default): a restricted unpickler resolves exactly the globals
PyTorch's weights-only loader allows for such files -- the tensor/parameter rebuild functions,
the storage types, ``collections.OrderedDict``, ``torch.Size``, dtypes and ``torch.device`` -- plus
what ``add_safe_globals`` / ``safe_globals`` allow, and refuses every other global, so a file whose
pickle names ``os.system`` or any class with a ``__reduce__`` runs nothing.

``weights_only=False`` (explicit, never the default) unpickles anything, as PyTorch does: the file
can run code; use it only for files you trust (e.g. a whole model you saved yourself).
Tensors come back as copies of their storage (views of one storage become independent tensors).
"""
import _compat_pickle
import contextlib
import io
import os
import pickle
import sys
import zipfile
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._device import device as _Device
from .tensor import Size, Tensor

__all__ = ["is_pt_archive", "load_pt", "save_pt", "add_safe_globals", "safe_globals", "get_safe_globals",
           "clear_safe_globals"]

# dtype name -> PyTorch's legacy storage class name
_STORAGE = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
            "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
            "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage", "complex64": "ComplexFloatStorage",
            "complex128": "ComplexDoubleStorage"}
_STORAGE_DTYPE = {v: k for k, v in _STORAGE.items()}
_user_safe = []


# -- the allow-list ---------------------------------------------------------------------------------------
def add_safe_globals(safe_globals):
    """Allow these classes/functions (or ``(obj, "module.name")`` pairs) in weights-only loads."""
    _user_safe.extend(safe_globals)


def get_safe_globals():
    return list(_user_safe)


def clear_safe_globals():
    _user_safe.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Context manager: ``add_safe_globals`` for the duration of the block only."""
    n = len(_user_safe)
    _user_safe.extend(safe_globals)
    try:
        yield
    finally:
        del _user_safe[n:]


def _user_allowed(module, name):
    for entry in _user_safe:
        obj, full = entry if isinstance(entry, tuple) else (entry, f"{entry.__module__}.{entry.__qualname__}")
        if full == f"{module}.{name}":
            return obj
    return None


class _StorageType:
    def __init__(self, dtype_name):
        self.dtype = _dtype._by_name(dtype_name)


class _Storage:
    """A storage's elements (1-d ndarray) and its saved location; ``tensor()`` cuts a tensor out."""

    def __init__(self, array, location):
        self.array, self.location = array, location

    def tensor(self, storage_offset, size, stride):
        t = Tensor._make(_strided_copy(self.array, storage_offset, size, stride), _Device("cpu"))
        t._pt_location = self.location
        return t


def _check_fits(numel, storage_offset, size, stride):
    """Raise unless a (size, stride) tensor at storage_offset lies inside a storage of numel elements."""
    count = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    if storage_offset < 0 or storage_offset + count > numel or any(st < 0 for st in stride) or \
            any(s < 0 for s in size) or len(size) != len(stride):
        raise pickle.UnpicklingError(f"a tensor of size {tuple(size)} stride {tuple(stride)} at offset "
                                     f"{storage_offset} does not fit its storage of {numel} elements")


def _strided_copy(a, storage_offset, size, stride):
    """The (size, stride) view at storage_offset of the 1-d array ``a``, copied."""
    _check_fits(a.size, storage_offset, size, stride)
    return np.array(np.lib.stride_tricks.as_strided(a[storage_offset:], shape=tuple(size),
                                                    strides=[s * a.itemsize for s in stride]), copy=True)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    t = storage.tensor(storage_offset, size, stride)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    """PyTorch 0.4-era tensors (no requires_grad)."""
    return storage.tensor(storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks, *state):
    from .nn.parameter import Parameter
    p = Parameter(data, requires_grad)
    p._pt_location = getattr(data, "_pt_location", "cpu")
    return p


def _rebuild_from_type_v2(func, new_type, args, state):
    """A tensor (subclass) with Python attributes: rebuilt by ``func``, attributes from ``state``
    (values already passed the allow-list)."""
    t = func(*args)
    if new_type is _parameter_class() and not isinstance(t, new_type):
        t = _rebuild_parameter(t, t.requires_grad, None)
    if isinstance(state, dict):
        t.__dict__.update(state)
    return t


def _parameter_class():
    from .nn.parameter import Parameter
    return Parameter


def _allowed():
    """PyTorch's weights-only allow-list (torch/_weights_only_unpickler.py), mapped onto tritorch."""
    import codecs
    from collections import Counter
    allowed = {("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
               ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
               ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
               ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
               ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
               ("torch", "Tensor"): Tensor, ("torch.nn.parameter", "Parameter"): _parameter_class(),
               ("collections", "OrderedDict"): OrderedDict, ("collections", "Counter"): Counter,
               ("torch", "Size"): Size, ("torch", "device"): _Device, ("_codecs", "encode"): codecs.encode,
               ("builtins", "set"): set, ("builtins", "bytearray"): bytearray, ("builtins", "complex"): complex}
    for dtype_name, storage in _STORAGE.items():
        allowed[("torch", storage)] = _StorageType(dtype_name)
        allowed[("torch", dtype_name)] = _dtype._by_name(dtype_name)
    for alias, name in _dtype.ALIASES.items():
        allowed[("torch", alias)] = name
    return allowed


def _python3_name(module, name):
    """Protocol 2 pickles spell builtins as Python 2 did (``__builtin__.set``); pickle's own
    find_class maps them, and so must ours."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class _WeightsOnlyUnpickler(pickle.Unpickler):
    def __init__(self, fh, archive):
        super().__init__(fh)
        self.archive = archive
        self.allowed = _allowed()

    def find_class(self, module, name):
        module, name = _python3_name(module, name)
        obj = self.allowed.get((module, name)) or _user_allowed(module, name)
        if obj is None:
            raise pickle.UnpicklingError(
                f"Weights only load failed: Unsupported global: GLOBAL {module}.{name} was not an allowed global by "
                f"default. Use `tritorch.serialization.add_safe_globals([{name}])` or the "
                f"`tritorch.serialization.safe_globals([{name}])` context manager if you trust it, or "
                f"weights_only=False if you trust the whole file (it can run code)")
        return obj

    def persistent_load(self, pid):
        return self.archive.storage(pid)


class _FullUnpickler(_WeightsOnlyUnpickler):
    """weights_only=False: PyTorch's tensors and storages as above, every other global imported
    (``torch.X`` looked up as ``tritorch.X``). Runs whatever the file says."""

    def find_class(self, module, name):
        module, name = _python3_name(module, name)
        obj = self.allowed.get((module, name))
        if obj is not None:
            return obj
        if module == "torch" or module.startswith("torch."):
            module = "tri" + module
        return super(_WeightsOnlyUnpickler, self).find_class(module, name)


class _Archive:
    def __init__(self, zf, prefix, what):
        self.zf, self.prefix, self.what = zf, prefix, what
        self.big_endian = self._text("byteorder", "little") == "big"
        self.storages = {}

    def _text(self, name, default):
        try:
            return self.zf.read(self.prefix + name).decode().strip()
        except KeyError:
            return default

    def storage(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, kind, key, location, numel = pid
        if key not in self.storages:
            np_dtype = kind.dtype.np
            entry = f"{self.prefix}data/{key}"
            size = self.zf.getinfo(entry).file_size      # checked before reading: a corrupt or hostile
            if size != int(numel) * np_dtype.itemsize:  # entry cannot make us inflate a huge buffer
                raise ValueError(f"storage {key} holds {size} bytes, but the pickle announces {numel} elements of "
                                 f"{kind.dtype.name} ({int(numel) * np_dtype.itemsize} bytes)")
            raw = self.zf.read(entry)
            a = np.frombuffer(raw, dtype=np_dtype.newbyteorder(">") if self.big_endian else np_dtype)
            self.storages[key] = _Storage(a.astype(np_dtype), str(location))
        return self.storages[key]


def is_pt_archive(data):
    """True when ``data`` (bytes) is a zip archive holding ``<folder>/data.pkl``."""
    if data[:4] != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return any(n.endswith("data.pkl") and n.count("/") == 1 for n in zf.namelist())
    except zipfile.BadZipFile:
        return False


def load_pt(data, name, map_location=None, weights_only=True):
    """The object in a PyTorch ``.pt`` archive (``data``: its bytes; ``name``: for messages)."""
    from .serialization import SerializationError, _location
    what = f"tritorch.load: {name}"
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        pkl = next(n for n in zf.namelist() if n.endswith("data.pkl") and n.count("/") == 1)
        archive = _Archive(zf, pkl[:-len("data.pkl")], what)
        unpickler = (_WeightsOnlyUnpickler if weights_only else _FullUnpickler)(io.BytesIO(zf.read(pkl)), archive)
        obj = unpickler.load()
    except pickle.UnpicklingError as e:
        raise SerializationError(f"{what} is a zip archive (PyTorch .pt) that cannot be loaded: {e}") from None
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError, IndexError, AttributeError) as e:
        raise SerializationError(f"{what} is a zip archive but not a readable PyTorch .pt file "
                                 f"({type(e).__name__}: {e})") from None
    return _place(obj, map_location, _location)


def _place(obj, map_location, location_of):
    """Move the loaded tensors to where map_location says (in place in containers)."""
    if isinstance(obj, Tensor):
        saved = obj.__dict__.pop("_pt_location", "cpu")
        target = location_of(saved, map_location)
        if target is not None and target.type == "cuda" and not _cuda_available():
            from .serialization import SerializationError
            raise SerializationError(f"Attempting to deserialize object on a CUDA device ({saved}) but "
                                     "tritorch.cuda.is_available() is False. If you are running on a CPU-only "
                                     "machine, please use tritorch.load with map_location='cpu'")
        if target is None:
            moved = map_location(obj, saved)
            return obj if moved is None else moved
        return obj if target.type == "cpu" else obj.to(target)
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = _place(v, map_location, location_of)
    elif isinstance(obj, list):
        obj[:] = [_place(v, map_location, location_of) for v in obj]
    elif isinstance(obj, tuple) and not isinstance(obj, Size):
        items = [_place(v, map_location, location_of) for v in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    return obj


def _cuda_available():
    from . import cuda
    return cuda.is_available()


# -- writing --------------------------------------------------------------------------------------------
class _Global:
    """A reference to a PyTorch global (written by name, never imported)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):        # pickle asks that a reduce's function be callable; never called
        raise TypeError(f"{self.module}.{self.name} is a name written into a .pt file, not a function")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_ORDERED_DICT = _Global("collections", "OrderedDict")


class _PtPickler(pickle._Pickler):
    """Protocol 2, tensors as PyTorch's rebuild calls on persistent storages, OrderedDict by name."""

    def __init__(self, fh):
        super().__init__(fh, protocol=2)
        self.storages = []

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            self.memoize(obj) if id(obj) not in self.memo else None
            return
        super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _Global("torch", _STORAGE[obj.dtype_name]), obj.key, obj.location, obj.numel)
        return None

    def reducer_override(self, obj):
        from .nn.parameter import Parameter
        if isinstance(obj, Tensor):
            if obj.dtype.name not in _STORAGE:
                raise pickle.PicklingError(f"tritorch.save: dtype {obj.dtype} has no PyTorch storage type")
            a = obj.detach()._b.to_numpy(obj.detach()._data)
            a = a if a.flags.c_contiguous else a.copy(order="C")   # (np.ascontiguousarray makes 0-d 1-d)
            ref = _StorageRef(str(len(self.storages)), obj.dtype.name, str(obj.device), a)
            self.storages.append(ref)
            stride, acc = [], 1
            for n in reversed(a.shape):
                stride.insert(0, acc)
                acc *= max(n, 1)
            rebuilt = (_REBUILD_TENSOR, (ref, 0, tuple(a.shape), tuple(stride),
                                         obj.requires_grad and not isinstance(obj, Parameter), OrderedDict()))
            if isinstance(obj, Parameter):
                return (_REBUILD_PARAMETER, (_Rebuilt(rebuilt), obj.requires_grad, OrderedDict()))
            return rebuilt
        if type(obj) is OrderedDict:
            state = dict(obj.__dict__) or None
            return (_ORDERED_DICT, (), state, None, iter(obj.items()))
        if isinstance(obj, _Rebuilt):
            return obj.reduced
        return NotImplemented


class _Rebuilt:
    def __init__(self, reduced):
        self.reduced = reduced


class _StorageRef:
    def __init__(self, key, dtype_name, location, array):
        self.key, self.dtype_name, self.location, self.array = key, dtype_name, location, array
        self.numel = int(array.size)


def save_pt(obj, fh):
    """Write ``obj`` to the binary file ``fh`` in PyTorch's zip format (``archive/...``)."""
    body = io.BytesIO()
    pickler = _PtPickler(body)
    pickler.dump(obj)
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", body.getvalue())
        zf.writestr("archive/byteorder", "little")
        for ref in pickler.storages:        # storages in little-endian byte order, as the byteorder entry says
            a = ref.array if sys.byteorder == "little" else ref.array.byteswap()
            zf.writestr(f"archive/data/{ref.key}", a.tobytes())
        zf.writestr("archive/version", "3\n")
        zf.writestr("archive/.data/serialization_id", os.urandom(10).hex())
