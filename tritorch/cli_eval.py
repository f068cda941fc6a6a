"""`tritorch eval RUN_DIR [--split test] [--checkpoint best|last|FILE] [--json]`: metrics of a trained model.

Rebuilds the run's data and model from RUN_DIR/config.yaml, loads the checkpoint (the best one by
default) and evaluates it on the split (the test split by default; the validation split when the
dataset has no test split, with a note). The result is also written to RUN_DIR/eval_<split>.json.
"""
import json
import os
import sys


def add_arguments(parser):
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a directory written by `tritorch train`")
    parser.add_argument("--split", choices=("test", "val", "train"), default="test",
                        help="the data split to evaluate on (default: test)")
    parser.add_argument("--checkpoint", default="best", metavar="best|last|FILE",
                        help="which checkpoint (default: best, else last)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--allow-import", action="append", default=[], metavar="MODULE",
                        help="let the config name classes from MODULE (your own package, e.g. mypkg.models); "
                             "repeatable. Without it (or an `imports:` list in the config) only tritorch's "
                             "classes can be named")


def run(args):
    from tritorch.train import ConfigError, Trainer
    from tritorch.train.checkpoint import load_checkpoint, load_model_state, write_atomic
    from tritorch.train.runs import checkpoint_path
    try:
        path = checkpoint_path(args.run_dir, args.checkpoint)
        trainer = Trainer(os.path.join(args.run_dir, "config.yaml"), progress=False, allow_import=args.allow_import)
    except (FileNotFoundError, ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    split = args.split
    if trainer.datasets.get(split) is None:
        fallback = "val" if trainer.datasets.get("val") is not None else "train"
        print(f"note: the dataset has no {split} split; evaluating on {fallback}", file=sys.stderr)
        split = fallback
    state = load_checkpoint(path)  # errors (one line, naming the file) are printed by tritorch.cli
    load_model_state(trainer.model, state, path)
    metrics = trainer.evaluate(split)
    step = state.get("trainer", {}).get("step") if isinstance(state.get("trainer"), dict) else None
    result = {"run_dir": args.run_dir, "checkpoint": path, "step": step, "split": split,
              "samples": len(trainer.datasets[split]), **{f"{split}/{k}": v for k, v in metrics.items()}}
    write_atomic(os.path.join(args.run_dir, f"eval_{split}.json"), json.dumps(result, indent=1), text=True)
    if args.json:
        print(json.dumps(result))
        return 0
    rows = [(k, f"{v:.4f}" if isinstance(v, float) else str(v)) for k, v in result.items()]
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k:<{width}}  {v}" for k, v in rows))
    return 0
