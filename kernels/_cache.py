"""The autotune cache: tuned kernel configs in one JSON file, written by ``tritorch tune``, read by the launchers.

Where: ``$TRITORCH_CACHE_DIR/autotune.json``, else ``$XDG_CACHE_HOME/tritorch/autotune.json``, else
``~/.cache/tritorch/autotune.json``. Layout::

    {"format": "tritorch-autotune", "version": 1,
     "entries": {"NVIDIA H100 80GB HBM3|sm9.0|triton-3.6.0": {            # device_tag()
                   "matmul": {"bfloat16|ieee|M512|N4096|K4096": {          # kernel, then its key
                       "config": {"BLOCK_M": 128, ..., "num_warps": 8, "num_stages": 3},
                       "ms": 0.081, "default_ms": 0.093, "updated": "2026-11-24T10:00:00"}}}}}

Keys come from each kernel family's ``*_key`` function (dtype, then shape buckets), so a launcher and the
tuner always agree. A launcher asks ``lookup(kernel, key, like=its_default_config)``: a missing file, a
file another GPU or Triton version wrote, or a key never tuned read as None (use the heuristic); a corrupt
or foreign file, or a stale config (not the keys the kernel takes now), also read as None, with one
warning. Writes replace the file atomically (temporary file + ``os.replace``), so a reader never sees half
a file and an interrupted write loses nothing that was there; ``store`` and ``update`` hold an exclusive
lock (``autotune.json.lock``, flock) while they read, merge and write, so two processes tuning at once
keep each other's entries. A launcher runs a tuned config through ``launch_tuned``: one that fails to
compile or launch is dropped for the rest of the process, with a warning naming the entry, and the
default config runs instead.
"""
import contextlib
import datetime
import functools
import json
import os
import tempfile
import warnings

import triton

from tritorch.cuda import current_device, get_device_capability, get_device_name

FORMAT = "tritorch-autotune"
VERSION = 1


def cache_path():
    """The cache file's path (it may not exist)."""
    root = os.environ.get("TRITORCH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "tritorch")
    return os.path.join(root, "autotune.json")


def device_tag():
    """What a tuned config depends on besides kernel, dtype and shape: GPU name, compute capability and
    Triton version, e.g. ``"NVIDIA H100 80GB HBM3|sm9.0|triton-3.6.0"`` (``"emulated|sm0.0|..."``)."""
    return _device_tag(current_device())


@functools.lru_cache(maxsize=None)
def _device_tag(device):
    major, minor = get_device_capability(device)
    return f"{get_device_name(device)}|sm{major}.{minor}|triton-{triton.__version__}"


def empty_cache():
    return {"format": FORMAT, "version": VERSION, "entries": {}}


def validate(data, source):
    """``data`` if it is a cache document, else ValueError saying what is wrong with ``source``."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{source} is not a tritorch autotune cache (no \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise ValueError(f"{source} is a version {data.get('version')!r} cache; this tritorch reads version {VERSION}")
    entries = data.get("entries")
    if not isinstance(entries, dict) or not all(
            isinstance(kernels, dict) and all(isinstance(keys, dict) for keys in kernels.values())
            for kernels in entries.values()):
        raise ValueError(f"{source}: \"entries\" must map device tag -> kernel -> key -> entry")
    return data


def read_cache(path=None):
    """The cache document at ``path`` (default ``cache_path()``); raises OSError (missing or unreadable)
    or ValueError (not JSON, not a cache). ``--show``/``--import`` use this; launchers use ``lookup``."""
    path = path or cache_path()
    with open(path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except ValueError as e:
            raise ValueError(f"{path} is not valid JSON: {e}") from None
    return validate(data, path)


def write_cache(data, path=None):
    """Write the cache document atomically: a reader sees the old file or the new one, never a mix."""
    path = path or cache_path()
    validate(data, "the cache to write")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".autotune-", suffix=".json", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_or_empty(path=None):
    """The cache document, or an empty one when the file is missing (errors for a corrupt file)."""
    try:
        return read_cache(path)
    except FileNotFoundError:
        return empty_cache()


@contextlib.contextmanager
def locked(path=None):
    """Hold the cache's exclusive write lock (``PATH.lock`` beside it, flock; blocks until free) for
    a read-merge-write. Readers need no lock: they only ever see a whole file."""
    path = os.path.abspath(path or cache_path())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: unlocked
        yield
        return
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def update(change, path=None):
    """Under the lock: read the cache as it is on disk now (an unreadable one is replaced, with a
    warning), apply ``change(data)``, write it back. Returns what ``change`` returned."""
    with locked(path):
        try:
            data = load_or_empty(path)
        except (OSError, ValueError) as e:
            warnings.warn(f"autotune cache: replacing an unreadable cache: {e}", RuntimeWarning, stacklevel=3)
            data = empty_cache()
        result = change(data)
        write_cache(data, path)
    return result


def store(kernel, key, config, *, ms=None, default_ms=None, tag=None, path=None):
    """Record the tuned ``config`` (dict) for ``kernel`` and ``key`` on this device (or ``tag``), merged
    into the file as it is at write time (under the lock). A corrupt cache file is replaced (with a
    warning), never merged into."""
    entry = {"config": dict(config), "ms": ms, "default_ms": default_ms,
             "updated": datetime.datetime.now().isoformat(timespec="seconds")}
    tag = tag or device_tag()
    update(lambda data: data["entries"].setdefault(tag, {}).setdefault(kernel, {}).__setitem__(key, entry), path)


def merge(into, other):
    """Entries of cache document ``other`` added to ``into`` (``other`` wins on the same key); returns
    the number of entries taken."""
    count = 0
    for tag, kernels in other["entries"].items():
        for kernel, keys in kernels.items():
            into["entries"].setdefault(tag, {}).setdefault(kernel, {}).update(keys)
            count += len(keys)
    return count


def entries(data):
    """``(tag, kernel, key, entry)`` for every entry of a cache document, sorted."""
    return [(tag, kernel, key, data["entries"][tag][kernel][key])
            for tag in sorted(data["entries"]) for kernel in sorted(data["entries"][tag])
            for key in sorted(data["entries"][tag][kernel])]


# -- the launchers' side ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _entries_for(path, mtime, tag):
    """This device's ``{kernel: {key: entry}}`` from the file as it was at ``mtime``; warns once per
    file version when the file cannot be used."""
    try:
        return read_cache(path)["entries"].get(tag, {})
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        warnings.warn(f"autotune cache ignored, kernels use their default configs: {e}", RuntimeWarning,
                      stacklevel=4)
        return {}


_warned_stale = set()
_failed = set()  # (path, mtime, tag, kernel, key) of tuned configs that failed to compile or launch here


def lookup(kernel, key, like=None):
    """The tuned config (a new dict) for ``kernel`` (str) and ``key`` (str) on this device, or None.

    ``like``: the kernel's default config; a cached config whose keys differ from it (the kernel changed
    since the sweep) or whose values are not positive ints is stale: ignored with one warning.
    """
    path = cache_path()
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None
    tag = device_tag()
    if (path, mtime, tag, kernel, key) in _failed:
        return None
    entry = _entries_for(path, mtime, tag).get(kernel, {}).get(key)
    config = entry.get("config") if isinstance(entry, dict) else None
    if config is None:
        return None
    fresh = isinstance(config, dict) and all(type(v) is int and v > 0 for v in config.values())
    if fresh and (like is None or set(config) == set(like)):
        return dict(config)
    if (path, kernel, key) not in _warned_stale:
        _warned_stale.add((path, kernel, key))
        expected = "" if like is None else f"; {kernel} takes {sorted(like)}"
        warnings.warn(f"autotune cache: stale config for {kernel} {key} ignored: {config!r}{expected}; "
                      f"re-run `tritorch tune` or `tritorch tune --clear`", RuntimeWarning, stacklevel=3)
    return None


def launch_tuned(kernel, key, default, launch, config=None):
    """``launch(cfg)`` with the config to use: ``config`` when given (as is: no fallback), else the
    cache's tuned config for ``kernel``/``key`` (see ``lookup``), else ``default``.

    A tuned config that raises (it does not compile, or the launch fails: a cache written by another
    build, or edited by hand) is not used again in this process: one warning names the cache entry and
    the error, and ``launch(default)`` runs instead. Returns what ``launch`` returns."""
    if config is not None:
        return launch(config)
    tuned = lookup(kernel, key, like=default)
    if tuned is None or tuned == default:
        return launch(default)
    try:
        return launch(tuned)
    except Exception as e:  # CompilationError, OutOfResources, a driver error: the default must still work
        path = cache_path()
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            mtime = None
        _failed.add((path, mtime, device_tag(), kernel, key))
        detail = " ".join(str(e).split())[:200]
        warnings.warn(f"autotune cache entry {kernel} {key} {tuned} in {path} failed ({type(e).__name__}: "
                      f"{detail}); using the default config {default} instead. Re-run `tritorch tune` or "
                      f"`tritorch tune --clear`", RuntimeWarning, stacklevel=3)
    return launch(default)
