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

import numpy as np

import tritorch

SUFFIX = ".safetensors"


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


def _write_atomic(path, data):
    """Temp file beside `path`, fsync, rename over it, fsync the folder: old file or new, never torn."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(run_dir, name, state, info=None):
    """Write checkpoints/<name>.safetensors atomically, then its .json sidecar (info: plain values)."""
    path = path_for(run_dir, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    _write_atomic(path, _encode(state))
    if info is not None:
        tmp = path[:-len(SUFFIX)] + ".json.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(info, f, indent=1)
        os.replace(tmp, path[:-len(SUFFIX)] + ".json")
    return path


def load_checkpoint(path_or_run_dir, name="last", map_location="cpu"):
    """A checkpoint dict from a file, or from RUN_DIR/checkpoints/<name>.safetensors."""
    path = path_or_run_dir
    if os.path.isdir(path):
        path = path_for(path, name)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    return tritorch.load(path, map_location=map_location)


def find_checkpoint(run_dir, preferred=("best", "last")):
    """The path of the first existing checkpoint among `preferred` names, or None."""
    for name in preferred:
        path = path_for(run_dir, name)
        if os.path.exists(path):
            return path
    return None
