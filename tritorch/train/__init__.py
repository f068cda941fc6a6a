"""tritorch.train: YAML config -> validated objects -> a training run with checkpoints and metrics.

    from tritorch.train import Trainer, load_config, validate
    Trainer("configs/digits_mlp.yaml", overrides=["trainer.epochs=5"]).fit()

The command line (`tritorch train | eval | predict | generate | plot`) is a thin layer over this package.
"""
from .config import Config, load_config
from .errors import ConfigError
from .predict import load_run
from .registry import register
from .trainer import Trainer
from .validate import validate

__all__ = ["Config", "ConfigError", "Trainer", "load_config", "load_run", "register", "validate"]
