"""torch.hub: downloading weights, never running downloaded code.

``load_state_dict_from_url(url)`` downloads with the standard library (urllib) into
``get_dir()/checkpoints`` once, then loads the cached file with ``tritorch.load`` (safetensors or
PyTorch's ``.pt`` zip, read without running code). ``file://`` URLs are read in place. Offline, a
file already in the cache is used; otherwise the error says where to put it. ``hub.load`` and
``hub.list`` would run a repository's ``hubconf.py``: tritorch refuses (a download must not run code).

The cache: ``set_dir(path)``, else ``$TORCH_HOME/hub``, else ``$XDG_CACHE_HOME/tritorch/hub``
(``~/.cache/tritorch/hub``). A file PyTorch already downloaded to its default cache
(``~/.cache/torch/hub/checkpoints``) is read from there instead of downloaded again.
"""
import hashlib
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["get_dir", "set_dir", "load_state_dict_from_url", "download_url_to_file", "load", "list", "help"]

TIMEOUT_S = 60       # per network operation (connect, each read): a dead network fails, never hangs
_HASH = re.compile(r"-([a-f0-9]*)\.")
_dir = None


def get_dir():
    """The hub cache folder (see the module docstring)."""
    if _dir is not None:
        return _dir
    if os.environ.get("TORCH_HOME"):
        return os.path.join(os.path.expanduser(os.environ["TORCH_HOME"]), "hub")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tritorch", "hub")


def _pytorch_hub_dir():
    """PyTorch's own default hub folder (``~/.cache/torch/hub``), consulted for files it downloaded."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "torch", "hub")


def set_dir(d):
    global _dir
    _dir = os.path.expanduser(os.fspath(d))


def _check_hash(path, prefix):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if not digest.hexdigest().startswith(prefix):
        raise RuntimeError(f'invalid hash value (expected "{prefix}", got "{digest.hexdigest()}") for {path}')


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download ``url`` to the path ``dst`` (through a temporary file, renamed when complete).
    ``hash_prefix``: the start of the file's sha256, checked before the rename."""
    dst = os.path.expanduser(os.fspath(dst))
    folder = os.path.dirname(os.path.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".download-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
                    shutil.copyfileobj(response, out)
            except (urllib.error.URLError, OSError, ValueError) as e:
                reason = getattr(e, "reason", None) or e
                raise RuntimeError(f"tritorch.hub: cannot download {url}: {reason} (offline? put the file at "
                                   f"{dst} or pass a file:// URL)") from None
        if hash_prefix is not None:
            _check_hash(tmp, hash_prefix)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=True):
    """Download (once) and ``tritorch.load`` the file at ``url``.

    Args:
        url (str): ``https://...``, ``http://...`` or ``file:///path``.
        model_dir (str, optional): cache folder. Default: ``get_dir()/checkpoints``.
        map_location: as in ``tritorch.load``.
        check_hash (bool): the file name's ``-<hex>.`` part must prefix the file's sha256.
        file_name (str, optional): name in the cache. Default: the URL's last path component.
        weights_only (bool): as in ``tritorch.load``.
    """
    from .serialization import load
    parts = urllib.parse.urlparse(url)
    name = file_name or os.path.basename(parts.path)
    if parts.scheme == "file":
        path = urllib.request.url2pathname(parts.path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"tritorch.hub: {url}: no such file")
    else:
        folder = model_dir or os.path.join(get_dir(), "checkpoints")
        path = os.path.join(folder, name)
        pytorch_cached = os.path.join(_pytorch_hub_dir(), "checkpoints", name)
        if not os.path.exists(path) and model_dir is None and os.path.exists(pytorch_cached):
            path = pytorch_cached                    # already downloaded by PyTorch: read it where it is
        if not os.path.exists(path):
            match = _HASH.search(name) if check_hash else None
            download_url_to_file(url, path, match.group(1) if match else None, progress=progress)
    if check_hash and parts.scheme == "file":
        match = _HASH.search(name)
        if match:
            _check_hash(path, match.group(1))
    return load(path, map_location=map_location, weights_only=weights_only)


def _runs_code(what):
    raise RuntimeError(f"tritorch.hub.{what}: this runs a repository's hubconf.py (downloaded code), which tritorch "
                       "refuses to do; build the model class yourself and load its weights with "
                       "tritorch.hub.load_state_dict_from_url(url)")


def load(repo_or_dir, model, *args, **kwargs):
    _runs_code("load")


def list(github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True):  # noqa: A001
    _runs_code("list")


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    _runs_code("help")
