"""Reopen a finished run directory: its config, its data info and a model with a checkpoint's weights."""
import json
import os

from . import checkpoint as ckpt


def run_config(run_dir):
    """The validated config saved in RUN_DIR/config.yaml."""
    from .config import load_config
    from .validate import validate
    path = os.path.join(run_dir, "config.yaml")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{run_dir} is not a tritorch run directory (no config.yaml)")
    return validate(load_config(path))


def checkpoint_path(run_dir, which):
    """'best' (falling back to 'last'), 'last', or a file path."""
    if which not in ("best", "last"):
        if not os.path.exists(which):
            raise FileNotFoundError(f"no checkpoint file {which}")
        return which
    path = ckpt.find_checkpoint(run_dir, ("best", "last") if which == "best" else ("last",))
    if path is None:
        raise FileNotFoundError(f"{run_dir} has no {which} checkpoint (checkpoints/{which}{ckpt.SUFFIX})")
    return path


def load_model(run_dir, which="best", device="cpu"):
    """(model with the checkpoint's weights in eval mode, data info dict, checkpoint path)."""
    from .build import build_model
    cfg = run_config(run_dir)
    info_path = os.path.join(run_dir, "data_info.json")
    info = json.load(open(info_path, encoding="utf-8")) if os.path.exists(info_path) else {}
    model = build_model(cfg["model"], info).to(device)
    path = checkpoint_path(run_dir, which)
    model.load_state_dict(ckpt.load_checkpoint(path)["model"])
    model.eval()
    return model, info, path
