"""Where training rows go besides metrics.jsonl/metrics.csv (which are always written: resume needs them).

    trainer:
      loggers: [csv, tensorboard]     # tensorboard: RUN_DIR/tensorboard/ event files (pip install -e '.[tensorboard]')
      log_histograms: false           # true: weight histograms at each evaluation (tensorboard only)

TensorBoard gets every metrics row as scalars (train/loss, lr, val/*) at its step, the run's
hyper-parameters with its final metrics (HPARAMS tab) when fit() ends, and optional histograms.
"""
import os

from .errors import ConfigError

KNOWN = ("csv", "tensorboard")


class TensorBoardLogger:
    def __init__(self, run_dir, resume_step=None):
        from ..utils.tensorboard import SummaryWriter
        self.log_dir = os.path.join(run_dir, "tensorboard")
        # on resume, hide the events an interrupted run wrote after its last checkpoint
        self.writer = SummaryWriter(self.log_dir, purge_step=resume_step or None)

    def log(self, row):
        step = row["step"]
        for key, value in row.items():
            if key not in ("step", "epoch", "time") and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(key, value, step)
        self.writer.flush()

    def histograms(self, model, step):
        for name, param in model.named_parameters():
            self.writer.add_histogram(name, param, step)

    def finish(self, config, summary):
        metrics = {k: v for k, v in summary.items() if k.startswith("val/") and isinstance(v, (int, float))}
        if summary.get("best") is not None:
            metrics[f"best/{summary['monitor']}"] = summary["best"]
        self.writer.add_hparams(hparams(config), metrics or {"steps": summary["step"]}, run_name="hparams")
        self.writer.close()


def hparams(config):
    """The config flattened to 'optimizer.lr': 0.003 pairs of bool/str/number (lists as text)."""
    out = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, (bool, str, int, float)):
            out[prefix] = value
        elif value is not None:
            out[prefix] = str(value)
    walk("", {k: v for k, v in config.items() if k in ("seed", "data", "model", "loss", "optimizer", "scheduler",
                                                         "trainer")})
    return out


def check_loggers(names):
    """ConfigError (before anything is written) for an unknown name, or tensorboard without its extra."""
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise ConfigError([(("trainer", "loggers"), f"unknown logger {unknown[0]!r}; expected some of "
                                                    f"{', '.join(KNOWN)}")])
    if "tensorboard" in names:
        from ..utils.tensorboard.writer import _import_tensorboardx
        try:
            _import_tensorboardx()
        except ModuleNotFoundError as e:
            raise ConfigError([(("trainer", "loggers"), str(e))]) from None
    return list(names)


def build_loggers(names, run_dir, resume_step=None):
    """The loggers named in trainer.loggers other than csv (always on)."""
    return [TensorBoardLogger(run_dir, resume_step)] if "tensorboard" in names else []
