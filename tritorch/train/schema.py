"""The sections of a training config, their keys, types and defaults (the keys that are not
constructor arguments; those are checked against the classes' signatures in validate.py).

A field is (kind, default): kind is one of the names in `check` ('int', 'float', 'bool', 'str',
'dict', 'list', 'spec' = a mapping with a `type:`), a tuple of allowed values, or a list of kinds
(any of them). REQUIRED marks a key without default.
"""
REQUIRED = object()

TOP = {
    "imports": ("list", []),                # modules outside tritorch the config may name (see imports.py)
    "name": (["str", None], None),          # run name (default: the config file's stem)
    "seed": ("int", 0),
    "device": ("str", "auto"),             # auto | cpu | cuda | cuda:N
    "data": ("dict", REQUIRED),
    "model": ("spec", REQUIRED),
    "loss": ("spec", {"type": "CrossEntropyLoss"}),
    "optimizer": ("spec", REQUIRED),
    "scheduler": (["spec", None], None),
    "trainer": ("dict", {}),
    "metrics": ("list", ["loss", "accuracy"]),
}

DATA = {
    "dataset": ("spec", REQUIRED),          # type + constructor arguments shared by every split
    "train": (["dict", None], None),        # arguments added for the training split
    "val": (["dict", None], None),          # ... the validation split
    "test": (["dict", None], None),         # ... the test split (`tritorch eval`)
    "val_fraction": ("float", 0.0),         # > 0: validation = this fraction of train, held out by seed
    "batch_size": ("int", 32),
    "eval_batch_size": (["int", None], None),
    "num_workers": ("int", 0),
    "shuffle": ("bool", True),
    "drop_last": ("bool", False),
}

TRAINER = {
    "epochs": (["int", None], None),
    "max_steps": (["int", None], None),     # optimizer steps; with epochs, whichever ends first
    "eval_every": (["int", None], None),    # steps between evaluations; default: every epoch
    "limit_eval_batches": (["int", None], None),  # evaluate on this many batches, spread over the split
    "log_every": ("int", 10),               # steps between train rows in metrics.jsonl (and plain log lines)
    "log_every_s": (["float", None], 10.0),  # without the bar: seconds between plain log lines; 0 = every
                                             # log_every steps; null = none
    "accumulate_grad_batches": ("int", 1),
    "gradient_clip_val": (["float", None], None),  # max total grad norm (nn.utils.clip_grad_norm_)
    "precision": (("32", "bf16-mixed", "16-mixed"), "32"),
    "monitor": (["str", None], None),       # metric for the best checkpoint; default val/accuracy or val/loss
    "mode": (("min", "max", None), None),   # default: max for accuracy-like, min otherwise
    "early_stopping": (["dict", None], None),
    "checkpoint_every": (["int", None], None),  # also keep checkpoints/step_N every N steps
    "output_dir": (["str", None], None),    # default runs/<name>
    "loggers": ("list", ["csv"]),          # csv (always on) and/or tensorboard (RUN_DIR/tensorboard; see loggers.py)
    "log_histograms": ("bool", False),      # tensorboard: weight histograms at each evaluation
    "progress": (["bool", None], None),     # the bar (true) or plain log lines (false); default: bar on a TTY
    "strategy": (("auto", "ddp", "single"), "auto"),  # ddp: one process per rank (mpirun / tritorch run);
                                             # auto: ddp when launched with more than one process
}

EARLY_STOPPING = {
    "monitor": (["str", None], None),       # default: trainer.monitor
    "mode": (("min", "max", None), None),
    "patience": ("int", 5),                 # evaluations without improvement before stopping
    "min_delta": ("float", 0.0),
}

SCHEDULER_EXTRA = {
    "interval": (("step", "epoch"), "step"),   # call scheduler.step() after each optimizer step or epoch
    "warmup_steps": ("int", 0),                # LinearLR warm-up before the main scheduler (SequentialLR)
    "warmup_start_factor": ("float", 0.01),
}

POSITIVE = {("data", "batch_size"), ("data", "eval_batch_size"), ("trainer", "epochs"), ("trainer", "max_steps"),
            ("trainer", "eval_every"), ("trainer", "limit_eval_batches"), ("trainer", "log_every"),
            ("trainer", "accumulate_grad_batches"),
            ("trainer", "checkpoint_every"), ("trainer", "gradient_clip_val")}
NON_NEGATIVE = {("seed",), ("trainer", "log_every_s"), ("data", "num_workers"),
                ("data", "val_fraction"), ("scheduler", "warmup_steps"),
                ("trainer", "early_stopping", "patience"), ("trainer", "early_stopping", "min_delta")}


def check(kind, value):
    """'' when `value` fits `kind`, else what was expected ('an integer', 'one of a, b')."""
    if isinstance(kind, list):
        fails = [check(k, value) for k in kind]
        return "" if "" in fails else " or ".join(f for f in fails)
    if kind is None:
        return "" if value is None else "null"
    if isinstance(kind, tuple):
        return "" if value in kind else "one of " + ", ".join(repr(k) for k in kind)
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "dict": isinstance(value, dict),
        "list": isinstance(value, list),
        "spec": isinstance(value, dict),
    }[kind]
    return "" if ok else {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
                          "dict": "a mapping", "list": "a list", "spec": "a mapping with a type: key"}[kind]


def describe(value):
    return f"{value!r} ({type(value).__name__})" if value is not None else "null"
