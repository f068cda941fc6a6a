"""tritorch.save / tritorch.load: state dicts as ONE safetensors file, never pickle.

(PyTorch's .pt zip files -- a path ending in .pt/.pth/.bin/.ckpt/.tar/.pkl, or a zip on load -- go
through tritorch.serialization_pt: a restricted unpickler on load, PyTorch's layout on save.)

The tensors go in the safetensors body, named by their path in the saved object
(``fc.weight``, ``state.0.exp_avg``), so any safetensors reader can open the file. The
structure (dicts, lists, tuples, int keys) and the plain values (int, float, str, bool, None)
go as JSON in the header's ``__metadata__`` under the key ``"tritorch"``, with each tensor
replaced by ``{"$tensor": name}``. Loading parses JSON and raw bytes only: a file cannot run code.

JSON tags (objects whose single key starts with ``$``): ``$tensor``, ``$tuple``, ``$dict`` (pairs,
for keys that are not plain strings, e.g. an optimizer's int parameter indices), ``$odict``
(OrderedDict), ``$float`` (inf, -inf, nan), ``$dtype``, ``$device``.

Deviations from torch.save: only these types can be saved (no arbitrary objects); a tensor is
saved as a contiguous copy of its own elements, so tensors that shared storage (views, the same
tensor twice) come back as independent tensors; Parameters come back as plain tensors with
``requires_grad=True``.
"""
from collections import OrderedDict
import json
import math
import os
import secrets

import ml_dtypes
import numpy as np
import safetensors

from . import _dtype
from ._device import CPU, as_device, device as _Device
from .tensor import Tensor

__all__ = ["save", "load", "SerializationError"]

_KEY = "tritorch"
_VERSION = 1
_NP = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": ml_dtypes.bfloat16, "I64": np.int64,
       "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
       "C64": np.complex64}


# -- saving ------------------------------------------------------------------------------------------
class _Encoder:
    """Turns an object into a JSON tree, collecting its tensors as named host arrays."""

    def __init__(self):
        self.arrays = {}
        self.taken = {"__metadata__"}

    def name(self, path):
        base = ".".join(map(str, path)) or "tensor"
        name, n = base, 1
        while name in self.taken:
            name, n = f"{base}#{n}", n + 1
        self.taken.add(name)
        return name

    def __call__(self, obj, path=()):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            obj = float(obj)
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, Tensor):
            return self.tensor(obj, path)
        if isinstance(obj, tuple):
            return {"$tuple": [self(v, path + (i,)) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self(v, path + (i,)) for i, v in enumerate(obj)]
        if isinstance(obj, dict):
            return self.dict(obj, path)
        if isinstance(obj, _dtype.dtype):
            return {"$dtype": obj.name}
        if isinstance(obj, _Device):
            return {"$device": str(obj)}
        where = "".join(f"[{p!r}]" for p in path)
        raise TypeError(f"tritorch.save cannot store an object of type {type(obj).__name__} at obj{where}: only "
                        "tensors, dicts, lists, tuples, int, float, str, bool and None go into safetensors; save to "
                        "a .pt path (PyTorch's pickle format, loaded with weights_only=False) for other objects")

    def tensor(self, t, path):
        a = t._b.to_numpy(t._data)                          # a host copy for cuda tensors
        a = a if a.flags.c_contiguous else a.copy(order="C")  # (np.ascontiguousarray makes 0-d 1-d)
        name = self.name(path)
        ref = {"$tensor": name}
        if a.dtype == np.complex128:  # safetensors has C64 but no C128: stored as F64 (..., 2), view_as_real's layout
            a, ref["complex"] = a[..., None].view(np.float64), True
        self.arrays[name] = a
        if t.device.type != "cpu":
            ref["device"] = str(t.device)
        if t.requires_grad:
            ref["requires_grad"] = True
        return ref

    def key(self, k, path):
        if isinstance(k, Tensor) or isinstance(k, (list, dict)):
            where = "".join(f"[{p!r}]" for p in path)
            raise TypeError(f"tritorch.save cannot store a dict key of type {type(k).__name__} at obj{where}")
        return self(k, path)

    def dict(self, d, path):
        items = [(k, self(v, path + (k,))) for k, v in d.items()]
        if isinstance(d, OrderedDict):
            return {"$odict": [[self.key(k, path), v] for k, v in items]}
        if all(isinstance(k, str) and not k.startswith("$") for k in d):
            return dict(items)
        return {"$dict": [[self.key(k, path), v] for k, v in items]}


def _serialize(arrays, metadata):
    if hasattr(safetensors, "TensorSpec"):   # safetensors >= 0.7
        specs = {k: safetensors.TensorSpec(dtype=a.dtype.name, shape=list(a.shape), data_ptr=a.ctypes.data,
                                           data_len=a.nbytes) for k, a in arrays.items()}
    else:
        specs = {k: {"dtype": a.dtype.name, "shape": list(a.shape), "data": a.tobytes()} for k, a in arrays.items()}
    return bytes(safetensors.serialize(specs, metadata=metadata))


def _write_atomic(path, data):
    """Write `data` to a temporary file beside `path`, fsync it, rename it over `path`, fsync the
    directory: a crash leaves either the old file or the new one, never a torn one."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:                          # platforms that cannot open a directory
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# paths with these endings get PyTorch's .pt zip format (tritorch.serialization_pt); all else safetensors
PT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".tar", ".pkl")


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Save `obj` (a state dict: nested dicts/lists/tuples of tensors, int, float, str, bool,
    None) to `f`, a path (written atomically) or a binary file object, as one safetensors file.

    A path ending in .pt/.pth/.bin/.ckpt/.tar/.pkl gets PyTorch's zip format instead (what
    torch.save writes; PyTorch's default torch.load reads it), which also holds what safetensors
    cannot: numpy arrays, whole modules (loading those needs ``weights_only=False``). So does any
    other path (not .safetensors) when ``obj`` holds something safetensors cannot store.

    Examples:
        >>> tritorch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 100},
        ...               "ckpt.safetensors")
        >>> tritorch.save(model.state_dict(), "model.pt")   # for PyTorch users
    """
    is_path = not hasattr(f, "write")
    if is_path and os.fspath(f).lower().endswith(PT_SUFFIXES):
        return _save_pt_file(obj, os.fspath(f))
    enc = _Encoder()
    try:
        tree = enc(obj)
    except TypeError:
        if is_path and not os.fspath(f).lower().endswith(".safetensors"):
            return _save_pt_file(obj, os.fspath(f))    # torch.save(model, "model.any"): PyTorch's format
        raise
    meta = json.dumps({"version": _VERSION, "tree": tree}, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":"))
    data = _serialize(enc.arrays, {_KEY: meta})
    if hasattr(f, "write"):
        f.write(data)
        if hasattr(f, "flush"):
            f.flush()
    else:
        _write_atomic(os.fspath(f), data)


def _save_pt_file(obj, path):
    import io
    from .serialization_pt import save_pt
    buf = io.BytesIO()
    save_pt(obj, buf)
    _write_atomic(path, buf.getvalue())


# -- loading -----------------------------------------------------------------------------------------
class SerializationError(RuntimeError):
    """A file tritorch.load cannot read (empty, truncated, corrupt, a pickle or zip, not a regular
    file). A RuntimeError, as PyTorch's loader raises; the message names the file and what is wrong."""


_ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1, "C64": 8}
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the header's size


def _open_regular(path):
    """A binary file object on `path`, which must be a regular file: a FIFO, a device (/dev/zero)
    or a socket could block or never end. Opened non-blocking (a FIFO without a writer would
    block the open itself), then checked on the open descriptor."""
    import stat
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory", path)
        if not stat.S_ISREG(mode):
            kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode) else
                    "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
            raise SerializationError(f"tritorch.load: {path} is {kind}, not a regular file; only regular files "
                                     "are read (a stream may never end)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read(f):
    """(the file's bytes, its name). A path is read only after its header has been checked against
    the file's size, so a bogus header length never makes it read (or allocate) more than the file."""
    if hasattr(f, "read"):
        return f.read(), getattr(f, "name", repr(f))
    path = os.fspath(f)
    with _open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(8)
        if len(head) == 8:
            n = int.from_bytes(head, "little")
            if n <= size - 8 and n <= _MAX_HEADER:
                _check_header(fh.read(n), size - 8 - n, f"tritorch.load: {path}", head)
        fh.seek(0)
        return fh.read(size), path


def _check_header(raw, body_size, what, head=b""):
    """SerializationError unless the safetensors header `raw` is a JSON object whose tensors have
    known dtypes, sizes that match their shapes, and disjoint offsets inside a body of `body_size`
    bytes. Run before safetensors parses it, for messages that name the file and the entry."""
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        if head[:1] == b"\x80" or head[:4] == b"PK\x03\x04":
            return None  # _parse names the pickle or the zip
        raise SerializationError(f"{what} is not a safetensors file: its header is not JSON (the "
                                 f"{len(raw)}-byte safetensors header must be valid JSON: {e})") from None
    if not isinstance(header, dict):
        raise SerializationError(f"{what} is not a safetensors file: its header is JSON but not an object")
    spans = []
    for key, info in header.items():
        if key == "__metadata__":
            continue
        bad = f"{what}: corrupt safetensors header: tensor {key!r}"
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
            raise SerializationError(f"{bad} lacks dtype, shape or data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _ITEMSIZE:
            raise SerializationError(f"{what}: tensor {key!r} has dtype {dtype!r}, which tritorch does not support "
                                     f"(supported: {', '.join(_ITEMSIZE)})")
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            raise SerializationError(f"{bad} has shape {shape!r}, not a list of sizes >= 0")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= body_size):
            raise SerializationError(f"{what} is corrupt or truncated: tensor {key!r} has data_offsets "
                                     f"{offsets!r} outside the file's {body_size} bytes of data")
        nbytes = math.prod(shape) * _ITEMSIZE[dtype]
        if offsets[1] - offsets[0] != nbytes:
            raise SerializationError(f"{bad} of dtype {dtype} and shape {shape} needs {nbytes} bytes but its "
                                     f"data_offsets {offsets} hold {offsets[1] - offsets[0]}")
        spans.append((offsets[0], offsets[1], key))
    spans.sort()
    for (_, end, a), (begin, _, b) in zip(spans, spans[1:]):
        if begin < end:
            raise SerializationError(f"{what}: corrupt safetensors header: tensors {a!r} and {b!r} overlap "
                                     f"(bytes {begin}..{end})")
    return header


def _parse(data, name):
    """(JSON tree or None, {tensor name: ndarray in file order}) of a safetensors file's bytes."""
    what = f"tritorch.load: {name}"
    if len(data) == 0:
        raise SerializationError(f"{what} is empty (0 bytes), not a safetensors file")
    # A safetensors header length may well start with byte 0x80 (a pickle's first byte) or, in
    # principle, "PK\3\4" (a zip's), so these diagnoses come only once the bytes fail to read as
    # safetensors.
    foreign = None
    if data[:4] == b"PK\x03\x04":
        foreign = (f"{what} is a zip archive (PyTorch's torch.save format?), not a safetensors file; tritorch "
                   "never unpickles. Convert it with safetensors (save_file) in PyTorch")
    elif data[:1] == b"\x80":
        foreign = (f"{what} looks like a pickle, not a safetensors file; tritorch never unpickles (loading a "
                   "pickle can run code)")
    if len(data) < 8:
        raise SerializationError(foreign or f"{what} is truncated or not a safetensors file ({len(data)} bytes)")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise SerializationError(foreign or f"{what} is truncated or not a safetensors file: its first 8 bytes "
                                 f"announce a {n}-byte header but the file has {len(data)} bytes")
    try:
        header = _check_header(data[8:8 + n], len(data) - 8 - n, what)
    except SerializationError:
        if foreign:
            raise SerializationError(foreign) from None
        raise
    try:
        entries = safetensors.deserialize(data)
    except Exception as e:  # SafetensorError and friends: size mismatches, bad offsets
        raise SerializationError(f"{what} is corrupt or truncated: {e}") from None
    offsets = {k: v["data_offsets"][0] for k, v in header.items() if k != "__metadata__"}
    arrays = {}
    for key, info in sorted(entries, key=lambda e: offsets.get(e[0], 0)):
        if info["dtype"] not in _NP:
            raise SerializationError(f"{what}: tensor {key!r} has dtype {info['dtype']}, which tritorch does not "
                                     "support")
        a = np.frombuffer(info["data"], dtype=_NP[info["dtype"]]).reshape(info["shape"])
        arrays[key] = a if a.flags.writeable else a.copy()
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or _KEY not in meta:
        return None, arrays
    try:
        doc = json.loads(meta[_KEY])
        version, tree = doc["version"], doc["tree"]
    except (ValueError, TypeError, KeyError):
        raise SerializationError(f"{what}: its '{_KEY}' metadata is not valid tritorch structure JSON") from None
    if not isinstance(version, int) or version > _VERSION:
        raise SerializationError(f"{what} was written by a newer tritorch (format {version}; this one reads "
                                 f"{_VERSION})")
    return tree, arrays


def _location(saved, map_location):
    """The device a tensor saved on `saved` (a str) goes to; None means "call map_location"."""
    if map_location is None:
        return as_device(saved)
    if isinstance(map_location, (str, _Device)):
        return as_device(map_location)
    if isinstance(map_location, dict):
        return as_device(map_location.get(saved, saved))
    return None


class _Decoder:
    def __init__(self, arrays, map_location, what):
        self.arrays, self.map_location, self.what = arrays, map_location, what

    def tensor(self, ref):
        name = ref["$tensor"]
        if name not in self.arrays:
            raise SerializationError(f"{self.what}: the structure refers to tensor {name!r}, which the file "
                                     "does not contain (corrupt file)")
        a = self.arrays[name]
        if ref.get("complex"):
            if a.dtype != np.float64 or a.ndim == 0 or a.shape[-1] != 2:
                raise SerializationError(f"{self.what}: tensor {name!r} is marked complex128 but is not a float64 "
                                         "array whose last dimension is 2 (corrupt file)")
            a = np.ascontiguousarray(a).view(np.complex128)[..., 0]
        t = Tensor._make(a, CPU)
        saved = ref.get("device", "cpu")
        target = _location(saved, self.map_location)
        if target is None:
            moved = self.map_location(t, saved)
            t = t if moved is None else moved
            if moved is None and saved != "cpu":
                t = t.to(saved)
        elif target != CPU:
            t = t.to(target)
        if ref.get("requires_grad"):
            t.requires_grad_(True)
        return t

    def __call__(self, node):
        if isinstance(node, list):
            return [self(v) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) >= 1:
            tag = next(iter(node))
            if tag == "$tensor":
                return self.tensor(node)
            if tag == "$tuple":
                return tuple(self(v) for v in node[tag])
            if tag in ("$dict", "$odict"):
                pairs = [(self(k), self(v)) for k, v in node[tag]]
                return OrderedDict(pairs) if tag == "$odict" else dict(pairs)
            if tag == "$float":
                return float(node[tag])
            if tag == "$dtype":
                return _dtype._by_name(node[tag])
            if tag == "$device":
                return as_device(node[tag])
        return {k: self(v) for k, v in node.items()}


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved by `tritorch.save` from `f` (a path or a binary file object).

    A safetensors file written by another library loads as a dict {name: tensor}.

    Args:
        f: path or binary file object.
        map_location (optional): where tensors go: None (where they were saved), a device or
            str (``'cpu'``, ``'cuda'``), a dict mapping saved device strings to new ones, or a
            callable ``fn(tensor_on_cpu, saved_location) -> tensor or None`` (None: the saved
            device).
        weights_only (bool): safetensors never run code either way. A PyTorch ``.pt`` zip (told by
            its content) is read by a restricted unpickler that allows what PyTorch's weights-only
            loader allows (tensors, storages, OrderedDict, Size, dtypes, devices, ``add_safe_globals``
            additions); ``weights_only=False`` unpickles anything, as PyTorch: it can run code, so
            only for files you trust.

    Raises:
        FileNotFoundError: `f` does not exist. IsADirectoryError: `f` is a directory.
        SerializationError (a RuntimeError): the file is empty, truncated, corrupt, a pickle/zip, not
            safetensors, or not a regular file (a FIFO, /dev/zero: never read).
    """
    data, name = _read(f)
    from .serialization_pt import is_pt_archive, load_pt
    from .serialization_pt_legacy import is_legacy_pt, load_legacy_pt
    if is_pt_archive(data):
        return load_pt(data, name, map_location, weights_only is not False)
    if is_legacy_pt(data):
        return load_legacy_pt(data, name, map_location, weights_only is not False)
    tree, arrays = _parse(data, name)
    decode = _Decoder(arrays, map_location, f"tritorch.load: {name}")
    if tree is None:
        return {k: decode.tensor({"$tensor": k}) for k in arrays}
    try:
        return decode(tree)
    except (TypeError, KeyError, ValueError, IndexError, AttributeError) as e:
        raise SerializationError(f"tritorch.load: {name}: its '{_KEY}' structure is corrupt "
                                 f"({type(e).__name__}: {e})") from None


from .serialization_pt import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals  # noqa: E402,F401
