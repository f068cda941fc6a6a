"""Hugging Face model folders: config.json + model.safetensors (or shards + model.safetensors.index.json).

    config = read_config(folder)                        # dict, LoadError when absent or not JSON
    tensors = read_tensors(folder)                      # {name: numpy array}, memory-mapped (no copy)
    assign(model, tensors, folder)                      # strict: missing / unexpected / shape -> LoadError
    write_folder(folder, config, model.state_dict())    # config.json + model.safetensors

The safetensors file is parsed here (8-byte little-endian header length, a JSON header of
{name: {dtype, shape, data_offsets}}, then the raw bytes) so each tensor is a view of one
copy-on-write memory map of the file: loading a CPU model reads pages only as they are used and
never holds a second copy of the weights. Every inconsistency is a one-line LoadError naming the file.
"""
import json
import os

import ml_dtypes
import numpy as np

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": ml_dtypes.bfloat16,
          "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
WEIGHTS, INDEX, CONFIG = "model.safetensors", "model.safetensors.index.json", "config.json"


class LoadError(ValueError):
    """A model folder or checkpoint cannot be loaded (one line naming the file and the tensor)."""


def read_config(folder):
    path = os.path.join(folder, CONFIG)
    if not os.path.isdir(folder):
        raise LoadError(f"{folder}: not a model folder (no such directory)")
    if not os.path.isfile(path):
        raise LoadError(f"{folder}: no config.json (a Hugging Face model folder holds config.json and "
                        "model.safetensors)")
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise LoadError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(config, dict):
        raise LoadError(f"{path} is not a JSON object")
    return config


def read_safetensors(path):
    """{name: array} of one .safetensors file, each a view of a copy-on-write memory map."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise LoadError(f"{path} is not a safetensors file (only {size} bytes)")
        n = int.from_bytes(head, "little")
        if n > size - 8 or n > 100_000_000:
            raise LoadError(f"{path} is corrupt or not a safetensors file (header length {n} > file size {size})")
        try:
            header = json.loads(f.read(n))
        except (ValueError, UnicodeDecodeError):
            raise LoadError(f"{path} is corrupt or not a safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise LoadError(f"{path} is corrupt (its header is not a JSON object)")
    header.pop("__metadata__", None)
    data = np.memmap(path, np.uint8, mode="c", offset=8 + n, shape=(size - 8 - n,)) if size > 8 + n else None
    out = {}
    for name, entry in header.items():
        try:
            dtype = np.dtype(DTYPES[entry["dtype"]])
            shape = [int(s) for s in entry["shape"]]
            begin, end = (int(o) for o in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise LoadError(f"{path}: tensor {name!r} has a bad header entry {entry!r}") from None
        count = int(np.prod(shape))
        if end - begin != count * dtype.itemsize or begin < 0 or end > size - 8 - n:
            raise LoadError(f"{path} is corrupt or truncated: tensor {name!r} {entry['dtype']} {shape} needs bytes "
                            f"{begin}..{end} of {size - 8 - n}")
        raw = data[begin:end] if count else np.zeros(0, np.uint8)
        out[name] = raw.view(dtype).reshape(shape)
    return out


def read_tensors(folder):
    """Every tensor of the folder's model.safetensors, or of the shards its index lists."""
    single, index = os.path.join(folder, WEIGHTS), os.path.join(folder, INDEX)
    if os.path.isfile(single):
        return read_safetensors(single)
    if not os.path.isfile(index):
        found = sorted(f for f in os.listdir(folder) if f.endswith((".bin", ".pt", ".pth", ".ckpt")))
        hint = f" (found {', '.join(found)}: convert to safetensors; pickled weights can run code)" if found else ""
        raise LoadError(f"{folder}: no {WEIGHTS} or {INDEX}{hint}")
    try:
        with open(index, encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise LoadError(f"{index} is not a safetensors index (JSON with a weight_map)") from None
    out = {}
    for shard in sorted(set(weight_map.values())):
        if os.path.basename(shard) != shard:
            raise LoadError(f"{index}: shard name {shard!r} is not a file in the folder")
        path = os.path.join(folder, shard)
        if not os.path.isfile(path):
            raise LoadError(f"{index} names shard {shard}, which is missing")
        tensors = read_safetensors(path)
        for name, value in tensors.items():
            if weight_map.get(name) == shard:
                out[name] = value
    missing = sorted(set(weight_map) - set(out))
    if missing:
        raise LoadError(f"{index} maps {missing[0]!r} to {weight_map[missing[0]]}, which does not hold it")
    return out


def _matches(name, pattern):
    """pattern 'a.b' matches the name and names under it; '.x.y' matches names ending with it."""
    return name.endswith(pattern) if pattern.startswith(".") else name == pattern or name.startswith(pattern + ".")


def assign(model, tensors, source, dtype=None, device=None, ignore=(), allow_missing=()):
    """Load `tensors` (name -> array, the model's state_dict names) into `model` without a copy where
    the dtype and device allow; strict: a missing, unexpected or mis-shaped tensor raises LoadError.

    ignore: names (or prefixes) that may be in the file and are dropped (non-persistent buffers).
    allow_missing: names the model may keep as initialised (a new head); returned as a list.
    """
    import tritorch
    from tritorch import nn
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    expected = {**params, **buffers}
    kept = {k: v for k, v in tensors.items() if not any(_matches(k, p) for p in ignore)}
    unexpected = sorted(set(kept) - set(expected))
    if unexpected:
        raise LoadError(f"{source}: unexpected tensor {unexpected[0]!r} for {type(model).__name__}"
                        + (f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else ""))
    missing = sorted(set(expected) - set(kept) - set(allow_missing))
    if missing:
        raise LoadError(f"{source}: missing tensor {missing[0]!r} for {type(model).__name__}"
                        + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    for name, array in kept.items():
        target = expected[name]
        if tuple(array.shape) != tuple(target.shape):
            raise LoadError(f"{source}: tensor {name!r} has shape {list(array.shape)} but "
                            f"{type(model).__name__} expects {list(target.shape)} "
                            "(does config.json match the weights?)")
        value = tritorch.from_numpy(array)
        want = dtype if (dtype is not None and target.is_floating_point()) else target.dtype
        if value.dtype != want:
            value = value.to(want)
        if device is not None:
            value = value.to(device)
        owner_name, _, attr = name.rpartition(".")
        owner = model.get_submodule(owner_name) if owner_name else model
        if name in params:
            setattr(owner, attr, nn.Parameter(value, requires_grad=target.requires_grad))
        else:
            owner._buffers[attr] = value
    return sorted(set(expected) - set(kept))


def write_folder(folder, config, state, shard_bytes=None):
    """config.json + model.safetensors (or shards + index past `shard_bytes`) from a name -> Tensor dict."""
    from safetensors.numpy import save_file
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, CONFIG), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    arrays = {k: np.ascontiguousarray(v.detach().cpu().numpy()) for k, v in state.items()}
    if not shard_bytes:
        save_file(arrays, os.path.join(folder, WEIGHTS), metadata={"format": "pt"})
        return
    shards, current, used = [], {}, 0
    for name, value in arrays.items():
        if current and used + value.nbytes > shard_bytes:
            shards.append(current)
            current, used = {}, 0
        current[name] = value
        used += value.nbytes
    shards.append(current)
    weight_map = {}
    for i, shard in enumerate(shards):
        file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, os.path.join(folder, file), metadata={"format": "pt"})
        weight_map.update({name: file for name in shard})
    with open(os.path.join(folder, INDEX), "w", encoding="utf-8") as f:
        json.dump({"metadata": {"total_size": sum(a.nbytes for a in arrays.values())}, "weight_map": weight_map},
                  f, indent=2)
