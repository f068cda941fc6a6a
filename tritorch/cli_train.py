"""`tritorch train CONFIG.yaml [key=value ...] [--dry-run] [--resume RUN_DIR]`.

Config errors (unknown keys, wrong types, missing arguments) are printed with their key path and
exit with code 2 before anything runs. Exit codes: 0 done, 1 stopped on a non-finite loss or a file
error (an unreadable checkpoint, a full or read-only disk, the run directory in use: one line naming
the file), 2 bad config or arguments, 130 interrupted by Ctrl-C (a checkpoint was saved first).
"""
import os
import sys

EPILOG = """examples:
  tritorch train configs/digits_mlp.yaml
  tritorch train configs/digits_mlp.yaml optimizer.lr=3e-4 trainer.epochs=40
  tritorch train configs/digits_mlp.yaml model.layers.0.out_features=256 model.layers.3.in_features=256
  tritorch train configs/char_transformer.yaml --dry-run
  tritorch train my.yaml --allow-import mypkg             let `type: mypkg.models.Net` import mypkg.models
  tritorch train --resume runs/digits_mlp                 continue a stopped run
  tritorch train --resume runs/digits_mlp trainer.epochs=40   ... and train it longer

overrides are Hydra-style: dotted key paths, list items by index, values read as YAML
(3e-4 is a float, true a bool, [1,2] a list); ~key deletes a key.
exit codes: 0 done, 1 non-finite loss or a file error (one line naming the file), 2 bad config,
130 Ctrl-C (checkpoint saved)."""


def add_arguments(parser):
    import argparse
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("config", nargs="?", help="the YAML config (not needed with --resume)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. optimizer.lr=3e-4")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the resolved config, the model and its parameter count, then exit")
    parser.add_argument("--output-dir", metavar="DIR", help="the run directory (overrides trainer.output_dir)")
    parser.add_argument("--allow-import", action="append", default=[], metavar="MODULE",
                        help="let the config name classes from MODULE (your own package, e.g. mypkg.models); "
                             "repeatable. Without it (or an `imports:` list in the config) only tritorch's "
                             "classes can be named")
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always show the progress bar (default: on when stderr is a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false",
                     help="plain log lines instead of the bar (the default when stderr is not a terminal: "
                          "one every trainer.log_every_s seconds, at a multiple of trainer.log_every steps)")


def config_error(e):
    print(f"error: invalid config\n{e}", file=sys.stderr)
    return 2


def summary_table(summary):
    """The final table: key metrics of the run, aligned."""
    rows = [("status", summary["status"]), ("run dir", summary["run_dir"]),
            ("steps", f"{summary['step']} ({summary['epoch']} epochs)"),
            ("time", f"{summary['time_s']:.1f} s ({summary['steps_per_s']:.1f} steps/s)"),
            ("parameters", f"{summary['parameters']:,}")]
    rows += [(k, f"{v:.4f}") for k, v in summary.items() if k.startswith("val/")]
    if summary["best"] is not None:
        rows.append((f"best {summary['monitor']}", f"{summary['best']:.4f} (step {summary['best_step']})"))
    width = max(len(k) for k, _ in rows)
    line = "-" * (width + 2 + max(len(str(v)) for _, v in rows))
    return "\n".join([line] + [f"{k:<{width}}  {v}" for k, v in rows] + [line])


def run(args):
    from tritorch.train import ConfigError, Trainer
    overrides = list(args.overrides)
    config = args.config
    if config is not None and "=" in config and not os.path.exists(config):
        overrides.insert(0, config)  # `tritorch train --resume DIR trainer.epochs=9`: no config given
        config = None
    if config is None and args.resume is None:
        print("error: give a CONFIG.yaml, or --resume RUN_DIR", file=sys.stderr)
        return 2
    if config is not None and args.resume is not None:
        print(f"note: --resume uses {os.path.join(args.resume, 'config.yaml')}; {config} is ignored",
              file=sys.stderr)
    try:
        trainer = Trainer(config, overrides=overrides, run_dir=args.output_dir, resume=args.resume,
                          progress=args.progress, allow_import=args.allow_import)
    except ConfigError as e:
        return config_error(e)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(trainer.describe())
        return 0
    try:
        summary = trainer.fit()
    except ConfigError as e:
        return config_error(e)
    if trainer.rank == 0:  # data-parallel (mpirun -n N): one table, from rank 0
        print(summary_table(summary))
    return {"completed": 0, "early_stopped": 0, "interrupted": 130, "nan": 1}[summary["status"]]
