"""Checkpoints: one safetensors file each (tritorch.save's format: tensors + a JSON header), written
atomically (temp file, fsync, rename), plus a small JSON sidecar for people and scripts (step,
epoch, metrics), written after it. Loading never needs the sidecar.

    RUN_DIR/checkpoints/last.safetensors     the latest state (what --resume continues from)
    RUN_DIR/checkpoints/best.safetensors     the best evaluation of the monitored metric
    RUN_DIR/checkpoints/step_0000500.safetensors   every trainer.checkpoint_every steps

A checkpoint holds model, optimizer, scheduler and trainer state, every RNG state (tritorch,
numpy's global, Python's random) and the resolved config.
"""
import io
import json
import os
import random
import re

import numpy as np

import tritorch

SUFFIX = ".safetensors"
_TEMP = re.compile(r"^\..+\.(\d+)\.tmp$")  # .last.safetensors.1234.tmp: a save in progress by PID 1234


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read, or does not fit the run; the message names the file."""


def path_for(run_dir, name):
    return os.path.join(run_dir, "checkpoints", name + SUFFIX)


def rng_state():
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {"tritorch": tritorch.get_rng_state(),
            "numpy": {"kind": kind, "keys": tritorch.tensor(keys.astype(np.int64)), "pos": int(pos),
                      "has_gauss": int(has_gauss), "gauss": float(gauss)},
            "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next}}


def set_rng_state(state):
    tritorch.set_rng_state(state["tritorch"])
    n = state["numpy"]
    np.random.set_state((n["kind"], np.asarray(n["keys"].numpy(), np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))


def _encode(state):
    """tritorch.save's bytes of `state`. tritorch.load takes a file whose first byte is 0x80 for a
    pickle, and a safetensors file starts with its header length (little-endian): a header of
    length 0x80 mod 256 would be refused. A `_pad` entry of a few spaces moves the length off it."""
    pad = ""
    while True:
        buf = io.BytesIO()
        tritorch.save({**state, "_pad": pad} if pad else state, buf)
        data = buf.getvalue()
        if data[:1] != b"\x80":
            return data
        pad += " "


def _pid_alive(pid):
    if pid == os.getpid():
        return False  # this process is not inside a save while it cleans up: its own temp is stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def remove_stale_temps(run_dir):
    """Delete .NAME.PID.tmp files in RUN_DIR/checkpoints (and RUN_DIR) whose PID is not alive (a save
    killed mid-write); a live process's temp file (a save in progress) is left alone. Returns the
    paths removed."""
    removed = []
    for folder in (os.path.join(run_dir, "checkpoints"), run_dir):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            m = _TEMP.match(name)
            if m and not _pid_alive(int(m.group(1))):
                try:
                    os.unlink(os.path.join(folder, name))
                    removed.append(os.path.join(folder, name))
                except FileNotFoundError:
                    pass
    return removed


def write_atomic(path, data, text=False):
    """Temp file beside `path`, fsync, rename over it, fsync the folder: old file or new, never torn.
    A failed write (a full disk) removes its temp file and names `path` in the OSError."""
    from .rundir import named
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w" if text else "wb", **({"encoding": "utf-8"} if text else {})) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        _unlink_quietly(tmp)
        if e.filename == tmp:  # name the file the user knows, not its temporary
            e = OSError(e.errno, e.strerror, path)
        raise named(e, path) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def save_checkpoint(run_dir, name, state, info=None):
    """Write checkpoints/<name>.safetensors atomically, then its .json sidecar (info: plain values).
    Temp files left by a save that was killed mid-write are removed first."""
    path = path_for(run_dir, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    remove_stale_temps(run_dir)
    write_atomic(path, _encode(state))
    if info is not None:
        write_atomic(path[:-len(SUFFIX)] + ".json", json.dumps(info, indent=1), text=True)
    return path


def load_checkpoint(path_or_run_dir, name="last", map_location="cpu"):
    """A checkpoint dict from a file, or from RUN_DIR/checkpoints/<name>.safetensors.

    Raises FileNotFoundError (no such file), another OSError naming the file (a directory, no
    permission), or CheckpointError (unreadable, or not a training checkpoint)."""
    path = path_or_run_dir
    if os.path.isdir(os.path.join(path, "checkpoints")) or os.path.isfile(os.path.join(path, "config.yaml")):
        path = path_for(path, name)  # a run directory
    if not os.path.lexists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = tritorch.load(path, map_location=map_location)
    except OSError:
        raise
    except Exception as e:  # SerializationError, and whatever a format hook raises
        text = " ".join(str(e).split())
        raise CheckpointError(text if path in text else f"{path}: {text}") from None
    return state


def load_model_state(model, state, path):
    """model.load_state_dict(state["model"]), or CheckpointError naming `path` and the mismatch."""
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        keys = ", ".join(map(str, list(state)[:5])) if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"{path} is not a tritorch training checkpoint (no 'model' state dict; it holds "
                              f"{keys or 'nothing'})")
    try:
        model.load_state_dict(state["model"])
    except (RuntimeError, KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path} does not fit this run's model: {' '.join(str(e).split())}") from None


def find_checkpoint(run_dir, preferred=("best", "last")):
    """The path of the first existing checkpoint among `preferred` names, or None."""
    for name in preferred:
        path = path_for(run_dir, name)
        if os.path.exists(path):
            return path
    return None
