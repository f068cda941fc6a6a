"""Check a whole config before anything runs, and fill in the defaults.

    resolved = validate(cfg)     # a new dict tree, or ConfigError listing every problem with its path

Sections with fixed keys (data, trainer, ...) are checked against schema.py. Every `type:` is
looked up in the registry and its other keys are checked against the class's constructor:
unknown arguments (with `did you mean`), missing required arguments, and values whose type
disagrees with the argument's default (a bool for a bool, a number for a number, ...) or with
its well-known meaning (`out_features` is an integer). Numbers must be finite, and counts
(seed, workers, patience, warm-up steps) not negative.

Nothing outside tritorch is imported unless the config's `imports:` list or `allow_import`
(`--allow-import` on the command line) covers it (see imports.py); what is imported is printed.
"""
import copy
import inspect
import math
import sys

from . import imports, registry, schema
from .data import SPLITS, default_split_args
from .errors import ConfigError, suggest
from .schema import REQUIRED, check, describe

VARARGS_KEY = {"Sequential": "layers"}   # Sequential(*args) is written `layers: [...]`
INT_ARGS = {"in_features", "out_features", "in_channels", "out_channels", "num_embeddings", "embedding_dim",
            "d_model", "nhead", "num_heads", "embed_dim", "num_layers", "hidden_size", "input_size",
            "dim_feedforward", "num_classes", "vocab_size", "block_size", "max_length", "T_max", "step_size",
            "total_iters", "hidden_dim", "num_features", "normalized_shape_int"}
STR_TOO = {"padding"}                     # Conv padding: an int, a tuple, 'same' or 'valid'
METRICS = ("loss", "accuracy", "perplexity")


def _is_ref(value):
    return isinstance(value, str) and value.startswith("${dataset.") and value.endswith("}")


def _expected(param):
    """A schema kind for a constructor parameter, or None when nothing can be said."""
    if param.name in INT_ARGS:
        return "int"
    d = param.default
    if d is inspect.Parameter.empty or d is None or callable(d):
        return None
    if isinstance(d, bool):
        return "bool"
    if isinstance(d, (int, float)):
        return ["float", "str"] if param.name in STR_TOO else "float"
    if isinstance(d, str):
        return "str"
    if isinstance(d, (tuple, list)):
        return ["list", "float"] if param.name in ("normalized_shape", "kernel_size") else "list"
    return None


def _non_finite(value):
    """The first inf/nan number in `value` (a number or a list of numbers), else None."""
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, float) and not math.isfinite(v):
            return v
    return None


def _int_list_ok(param, value):
    """kernel_size/stride/padding: ints or lists of ints."""
    return isinstance(value, list) and param.name not in INT_ARGS


class Checker:
    def __init__(self, allowed=()):
        self.issues = []
        self.allowed = tuple(allowed)

    def add(self, path, message):
        self.issues.append((tuple(path), message))

    def section(self, node, fields, path):
        """Check a fixed-key mapping against schema `fields`; return it with defaults filled in."""
        if not isinstance(node, dict):
            self.add(path, f"expected a mapping, got {describe(node)}")
            return {}
        for key in node:
            if key not in fields:
                self.add(path + (key,), f"unknown key{suggest(key, fields)}")
        out = {}
        for key, (kind, default) in fields.items():
            if key not in node:
                if default is REQUIRED:
                    self.add(path + (key,), "missing required key")
                else:
                    out[key] = copy.deepcopy(default)
                continue
            value = node[key]
            if kind == ("32", "bf16-mixed", "16-mixed") and value in (32, "fp32", "32-true"):
                value = "32"
            bad = check(kind, value)
            if bad:
                self.add(path + (key,), f"expected {bad}, got {describe(value)}")
            elif _non_finite(value) is not None:
                self.add(path + (key,), f"must be a finite number, got {value}")
            elif (path + (key,)) in schema.POSITIVE and value is not None and value <= 0:
                self.add(path + (key,), f"must be positive, got {value}")
            elif (path + (key,)) in schema.NON_NEGATIVE and value is not None and value < 0:
                self.add(path + (key,), f"must be >= 0, got {value}")
            out[key] = value
        return out

    def spec(self, node, kind, path, inject=(), extra=None):
        """Check a `{type: Name, arg: value, ...}` mapping against the class's signature."""
        if not isinstance(node, dict) or "type" not in node:
            self.add(path, f"expected a mapping with a type: key, got {describe(node)}")
            return None
        try:
            cls = registry.lookup(kind, node["type"], self.allowed)
        except LookupError as e:
            self.add(path + ("type",), str(e))
            return None
        args = {k: v for k, v in node.items() if k != "type" and not (extra and k in extra)}
        self.arguments(cls, args, kind, path, inject)
        return cls

    def arguments(self, cls, args, kind, path, inject=(), required=True, key_paths=None):
        """Check `args` against the signature of `cls`; nested `type:` mappings are checked as `kind`."""
        try:
            sig = inspect.signature(cls)
        except (TypeError, ValueError):
            return
        params = {n: p for n, p in sig.parameters.items()
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and n not in inject}
        var_kw = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
        var_pos = next((p for p in sig.parameters.values() if p.kind == p.VAR_POSITIONAL), None)
        var_key = VARARGS_KEY.get(getattr(cls, "__name__", ""), var_pos.name if var_pos else None)
        for key, value in args.items():
            where = (key_paths or {}).get(key, path) + (key,)
            if key == var_key and var_pos is not None:
                if not isinstance(value, list):
                    self.add(where, f"expected a list, got {describe(value)}")
                    continue
                for i, item in enumerate(value):
                    self.nested(item, kind, where + (i,), inject)
                continue
            if key not in params:
                if not var_kw:
                    self.add(where, f"unknown argument{suggest(key, list(params) + ([var_key] if var_key else []))}")
                continue
            self.nested(value, kind, where, inject)
            if isinstance(value, dict) and "type" in value or _is_ref(value):
                continue
            if _non_finite(value) is not None:
                self.add(where, f"must be a finite number, got {value}")
                continue
            expected = _expected(params[key])
            if expected and check(expected, value) and not _int_list_ok(params[key], value):
                self.add(where, f"expected {check(expected, value)}, got {describe(value)}")
        if required:
            for name, p in params.items():
                if p.default is p.empty and name not in args and p.kind != p.VAR_POSITIONAL:
                    self.add(path, f"missing required argument {name!r} of {getattr(cls, '__name__', cls)}")

    def nested(self, value, kind, path, inject):
        if isinstance(value, dict) and "type" in value:
            self.spec(value, kind, path, inject)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict) and "type" in item:
                    self.spec(item, kind, path + (i,), inject)

    def data(self, node):
        data = self.section(node, schema.DATA, ("data",))
        spec = data.get("dataset")
        if not isinstance(spec, dict) or "type" not in spec:
            return data
        try:
            cls = registry.lookup("dataset", spec["type"], self.allowed)
        except LookupError as e:
            self.add(("data", "dataset", "type"), str(e))
            return data
        fraction = data.get("val_fraction", 0)
        if isinstance(fraction, (int, float)) and math.isfinite(fraction) and not 0 <= fraction < 1:
            self.add(("data", "val_fraction"), f"must be in [0, 1), got {data['val_fraction']}")
        if data.get("val_fraction") and data.get("val") is not None:
            self.add(("data", "val"), "give either data.val or data.val_fraction, not both")
        shared = {k: v for k, v in spec.items() if k != "type"}
        self.arguments(cls, shared, "dataset", ("data", "dataset"), required=False)
        for split in SPLITS:
            explicit = data.get(split)
            if split == "val" and data.get("val_fraction"):
                continue
            default = default_split_args(cls, split)
            if explicit is None and default is None:
                continue
            own = explicit or {}
            self.arguments(cls, own, "dataset", ("data", split), required=False)
            merged = {**shared, **(default or {}), **own}
            for name, p in inspect.signature(cls).parameters.items():
                if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and name not in merged:
                    self.add(("data", split), f"missing required argument {name!r} of {cls.__name__} "
                                              f"(set it in data.dataset or data.{split})")
        return data

    def metrics(self, node):
        out = []
        for i, name in enumerate(node if isinstance(node, list) else []):
            if not isinstance(name, str):
                self.add(("metrics", i), f"expected a metric name, got {describe(name)}")
            elif name not in METRICS and not (name.startswith("top") and name[3:].isdigit() and int(name[3:]) > 0):
                self.add(("metrics", i), f"unknown metric {name!r}{suggest(name, METRICS + ('topK',))}"
                         + ("" if name.lower().startswith("top") else " (topK: top-K accuracy, e.g. top3, top5)"))
            else:
                out.append(name)
        return out


def validate(cfg, allow_import=()):
    """The resolved config (defaults filled in) of `cfg`, or ConfigError with every problem found.

    `allow_import`: module names the user allowed on the command line (`--allow-import`), on top
    of the config's own `imports:` list. The modules to be imported are printed on one stderr line.
    """
    allowed, issues, why = imports.allow_list(cfg, allow_import)
    if issues:
        raise ConfigError(issues, cfg=cfg)
    if why:
        print("note: importing " + ", ".join(f"{m} ({w})" for m, w in why.items()), file=sys.stderr)
    c = Checker(allowed)
    for path, message in imports.import_listed(cfg, allowed):
        c.add(path, message)
    top = c.section(cfg.data, schema.TOP, ())
    if "data" in top:
        top["data"] = c.data(top["data"])
    if isinstance(top.get("model"), dict):
        c.spec(top["model"], "module", ("model",))
    if isinstance(top.get("loss"), dict):
        c.spec(top["loss"], "module", ("loss",))
    if isinstance(top.get("optimizer"), dict):
        c.spec(top["optimizer"], "optimizer", ("optimizer",), inject=("params",))
    if isinstance(top.get("scheduler"), dict):
        sched = top["scheduler"]
        cls = c.spec(sched, "scheduler", ("scheduler",), inject=("optimizer",), extra=schema.SCHEDULER_EXTRA)
        extra = c.section({k: v for k, v in sched.items() if k in schema.SCHEDULER_EXTRA}, schema.SCHEDULER_EXTRA,
                          ("scheduler",))
        top["scheduler"] = {**sched, **extra}
        factor = extra.get("warmup_start_factor")
        if isinstance(factor, (int, float)) and math.isfinite(factor) and not 0 < factor <= 1:
            c.add(("scheduler", "warmup_start_factor"), f"must be in (0, 1], got {factor}")
        if cls is not None and cls.__name__ == "ReduceLROnPlateau" and sched.get("warmup_steps"):
            c.add(("scheduler", "warmup_steps"), "ReduceLROnPlateau takes no warm-up here (it steps on metrics)")
    if "trainer" in top:
        trainer = c.section(top["trainer"], schema.TRAINER, ("trainer",))
        if trainer.get("epochs") is None and trainer.get("max_steps") is None:
            c.add(("trainer",), "set trainer.epochs or trainer.max_steps (or both: whichever ends first)")
        if trainer.get("early_stopping") is not None:
            trainer["early_stopping"] = c.section(trainer["early_stopping"], schema.EARLY_STOPPING,
                                                  ("trainer", "early_stopping"))
        top["trainer"] = trainer
    if "metrics" in top:
        top["metrics"] = c.metrics(top["metrics"])
    device = top.get("device")
    if isinstance(device, str) and not (device in ("auto", "cpu", "cuda") or device.startswith("cuda:")):
        c.add(("device",), f"expected auto, cpu, cuda or cuda:N, got {device!r}")
    if c.issues:
        raise ConfigError(c.issues, cfg=cfg)
    return top
