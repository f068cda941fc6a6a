"""SummaryWriter with torch.utils.tensorboard's signatures, writing through tensorboardX.

Why tensorboardX: it writes the same event files with only protobuf and numpy (torch's own writer
needs the whole tensorboard package, ~30 MB with grpcio). Values may be tritorch tensors (any
device), numpy arrays or Python numbers; they are copied to the host as numpy first.
"""
import os
import socket
from datetime import datetime

INSTALL = "tritorch.utils.tensorboard needs tensorboardX: pip install -e '.[tensorboard]' (or pip install tensorboardX)"


def _import_tensorboardx():
    """tensorboardX, imported with `import torch` made to fail (it tries, guarded): tritorch never loads
    torch, and everything we pass it is numpy already. ModuleNotFoundError (one line) when missing."""
    import sys
    block = "torch" not in sys.modules
    if block:
        sys.modules["torch"] = None  # `import torch` raises ImportError while this is set
    try:
        import tensorboardX
    except ImportError:
        raise ModuleNotFoundError(INSTALL) from None
    finally:
        if block:
            del sys.modules["torch"]
    return tensorboardX


def _numpy(value):
    from ...tensor import Tensor
    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()
    return value


def _number(value):
    value = _numpy(value)
    return value.item() if hasattr(value, "item") else value


def default_log_dir(comment=""):
    """runs/MONDD_HH-MM-SS_HOSTNAME{comment}, PyTorch's default."""
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """Writes TensorBoard event files into `log_dir` (default ``runs/DATE_HOST``).

    Args are torch.utils.tensorboard.SummaryWriter's: log_dir, comment, purge_step (on resume:
    events at or after this step from an earlier run are hidden), max_queue, flush_secs, filename_suffix.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        tensorboardX = _import_tensorboardx()
        self.log_dir = str(log_dir) if log_dir is not None else default_log_dir(comment)
        self._writer = tensorboardX.SummaryWriter(self.log_dir, purge_step=purge_step, max_queue=max_queue,
                                                  flush_secs=flush_secs, filename_suffix=filename_suffix)

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """new_style / double_precision are accepted for PyTorch's signature; tensorboardX writes the
        classic float32 scalar summary either way."""
        self._writer.add_scalar(tag, _number(scalar_value), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """One run per key, under log_dir/main_tag/key (tensorboardX's folders; PyTorch names them main_tag_key)."""
        self._writer.add_scalars(main_tag, {k: _number(v) for k, v in tag_scalar_dict.items()}, global_step,
                                 walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        self._writer.add_histogram(tag, _numpy(values), global_step, bins, walltime, max_bins)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """An image ([C, H, W] by default; float in [0, 1] or uint8). Encoding PNG needs Pillow."""
        try:
            self._writer.add_image(tag, _numpy(img_tensor), global_step, walltime, dataformats=dataformats)
        except ImportError as e:
            raise ModuleNotFoundError(f"add_image needs Pillow to encode PNG: pip install pillow ({e})") from None

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._writer.add_text(tag, text_string, global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """Hyper-parameters and their final metrics for TensorBoard's HPARAMS tab. Like PyTorch, the
        metrics go to a sub-run (run_name, default: the time); values must be bool/str/number/None.
        hparam_domain_discrete is accepted and not written (tensorboardX has no such field)."""
        hparams = {k: _number(v) for k, v in hparam_dict.items()}
        bad = {k: type(v).__name__ for k, v in hparams.items() if not isinstance(v, (bool, str, int, float))
               and v is not None}
        if bad:
            raise ValueError(f"add_hparams: values must be bool, str, int, float or None; got {bad}")
        metrics = {k: _number(v) for k, v in metric_dict.items()}
        self._writer.add_hparams(hparams, metrics, name=run_name, global_step=global_step)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
