"""The `tritorch` command line: `tritorch <subcommand> ...` (also `python -m tritorch ...`).

Each subcommand lives in its own module and is listed in SUBCOMMANDS as
name -> (module, help). The module provides `add_arguments(parser)` and `run(args) -> int`;
it is imported only when its subcommand runs, so `tritorch info` stays fast.
"""
import argparse
import importlib
import sys

SUBCOMMANDS = {
    "info": ("tritorch.cli_info", "versions of tritorch, numpy, triton and Python; CUDA and interpreter status"),
    "train": ("tritorch.cli_train", "train a model from a YAML config (checkpoints, metrics, --resume, --dry-run)"),
    "eval": ("tritorch.cli_eval", "metrics of a trained run's best checkpoint on the test split"),
    "generate": ("tritorch.cli_generate", "sample text from a trained character model"),
    "predict": ("tritorch.cli_predict", "classify texts or images with a trained run (label, probabilities)"),
    "plot": ("tritorch.cli_plot", "draw loss and metric curves of runs to a PNG (needs matplotlib)"),
    "run": ("tritorch.cli_run", "start N processes of a script under MPI with torchrun's variables (-n N script.py)"),
    "tune": ("tritorch.cli_tune", "autotune kernel configs from a sweep YAML; show/clear/export/import the cache"),
}


def build_parser():
    parser = argparse.ArgumentParser(prog="tritorch", description="tritorch: PyTorch's interface on Triton and numpy.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"tritorch {__version__}")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    subs.required = True
    for name, (module, help_) in SUBCOMMANDS.items():
        sub = subs.add_parser(name, help=help_, description=help_)
        sub.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(sub)
    return parser


def _one_line_warning(message, category, filename, lineno, line=None):
    return f"warning: {' '.join(str(message).split())}\n"


def main(argv=None):
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if argv is None:  # the command line: warnings as one line each, without the source line
        import warnings
        warnings.formatwarning = _one_line_warning
    try:
        return importlib.import_module(args._module).run(args) or 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        message, code = error_line(e)
        if message is None:
            raise  # a bug, not bad input: its traceback is wanted
        print(f"error: {message}", file=sys.stderr)
        return code


def error_line(e):
    """(message, exit code) for an error that bad input, a full or read-only disk or a concurrent run
    can cause: one line naming the file and what is wrong; exit code 2 for a file the user named that
    does not exist or a bad config, else 1. (None, None) for anything else."""
    from tritorch.serialization import SerializationError
    from tritorch.train import ConfigError
    from tritorch.train.checkpoint import CheckpointError
    from tritorch.train.rundir import RunDirInUse
    if isinstance(e, ConfigError):
        return f"invalid config\n{e}", 2
    if isinstance(e, ModuleNotFoundError) and "pip install" in str(e):  # a missing optional extra
        return str(e), 1
    if isinstance(e, (SerializationError, CheckpointError, RunDirInUse)):
        return " ".join(str(e).split()), 1
    if isinstance(e, OSError):
        if e.filename is None or e.strerror is None:
            return " ".join(str(e).split()), 2 if isinstance(e, FileNotFoundError) else 1
        where = f"{e.filename} -> {e.filename2}" if e.filename2 else f"{e.filename}"
        return f"{where}: {e.strerror}", 2 if isinstance(e, FileNotFoundError) else 1
    return None, None


if __name__ == "__main__":
    sys.exit(main())
