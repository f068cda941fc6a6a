"""Reopen a finished run directory: its config, its data info and a model with a checkpoint's weights."""
import json
import os

from . import checkpoint as ckpt


def run_config(run_dir, allow_import=()):
    """The validated config saved in RUN_DIR/config.yaml (`allow_import`: --allow-import, see imports.py)."""
    from .config import load_config
    from .validate import validate
    path = os.path.join(run_dir, "config.yaml")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{run_dir} is not a tritorch run directory (no config.yaml)")
    return validate(load_config(path), allow_import)


def checkpoint_path(run_dir, which):
    """'best' (falling back to 'last'), 'last', or a file path."""
    if which not in ("best", "last"):
        if not os.path.lexists(which):
            raise FileNotFoundError(f"no checkpoint file {which}")
        return which
    path = ckpt.find_checkpoint(run_dir, ("best", "last") if which == "best" else ("last",))
    if path is None:
        if not os.path.exists(os.path.join(run_dir, "config.yaml")):
            raise FileNotFoundError(f"{run_dir} is not a tritorch run directory (no config.yaml)")
        raise ckpt.CheckpointError(f"{ckpt.path_for(run_dir, which)}: no {which} checkpoint in {run_dir} (was the "
                                   "run stopped before its first checkpoint?)")
    return path


def read_data_info(run_dir):
    """RUN_DIR/data_info.json as a dict ({} when absent); CheckpointError when it is not a JSON object."""
    path = os.path.join(run_dir, "data_info.json")
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise ckpt.CheckpointError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(info, dict):
        raise ckpt.CheckpointError(f"{path} is not a JSON object")
    return info


def load_model(run_dir, which="best", device="cpu", allow_import=()):
    """(model with the checkpoint's weights in eval mode, data info dict, checkpoint path)."""
    from .build import build_model
    cfg = run_config(run_dir, allow_import)
    info = read_data_info(run_dir)
    model = build_model(cfg["model"], info, tuple(cfg["imports"]) + tuple(allow_import)).to(device)
    path = checkpoint_path(run_dir, which)
    ckpt.load_model_state(model, ckpt.load_checkpoint(path), path)
    model.eval()
    return model, info, path
