"""Which classes a config may name, by kind: `type: Linear`, `type: AdamW`, `type: mypkg.models.Net`.

Kinds and what they hold:
    module     every nn.Module subclass in tritorch.nn (layers and losses) and tritorch.train.models
    optimizer  every Optimizer subclass in tritorch.optim
    scheduler  every scheduler class in tritorch.optim.lr_scheduler
    dataset    every Dataset subclass in tritorch.datasets and tritorch.utils.data

A name with a dot is imported (`mypkg.models.Net` -> `from mypkg.models import Net`), so any
class of yours works without registering it; `register("module")(MyNet)` adds a short name.
"""
import importlib
import inspect

from .errors import suggest

_EXTRA = {"module": {}, "optimizer": {}, "scheduler": {}, "dataset": {}}


def register(kind, name=None):
    """Decorator: make a class constructible from configs as `type: name` (default: its __name__)."""
    def deco(obj):
        _EXTRA[kind][name or obj.__name__] = obj
        return obj
    return deco


def _classes(module_name, base_path, base_name):
    try:
        module = importlib.import_module(module_name)
        base = getattr(importlib.import_module(base_path), base_name)
    except (ImportError, AttributeError):
        return {}
    return {n: c for n, c in vars(module).items()
            if inspect.isclass(c) and issubclass(c, base) and not n.startswith("_")}


def _schedulers():
    try:
        module = importlib.import_module("tritorch.optim.lr_scheduler")
    except ImportError:
        return {}
    return {n: c for n, c in vars(module).items() if inspect.isclass(c) and not n.startswith("_")
            and c.__module__.startswith("tritorch.optim") and hasattr(c, "step") and hasattr(c, "state_dict")
            and n not in ("LRScheduler", "_LRScheduler")}


def names(kind):
    """{name: class} for a kind (computed on each call: cheap, and sees late registrations)."""
    if kind == "module":
        found = _classes("tritorch.nn", "tritorch.nn", "Module")
        found.pop("Module", None)
        found.update(_classes("tritorch.train.models", "tritorch.nn", "Module"))
    elif kind == "optimizer":
        found = _classes("tritorch.optim", "tritorch.optim", "Optimizer")
        found.pop("Optimizer", None)
    elif kind == "scheduler":
        found = _schedulers()
    elif kind == "dataset":
        found = _classes("tritorch.utils.data", "tritorch.utils.data", "Dataset")
        found.update(_classes("tritorch.datasets", "tritorch.utils.data", "Dataset"))
        for base in ("Dataset", "IterableDataset"):
            found.pop(base, None)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    found.update(_EXTRA[kind])
    return found


def lookup(kind, name):
    """The class a config names; LookupError with a suggestion when there is none."""
    if not isinstance(name, str) or not name:
        raise LookupError(f"type should be a class name (a string), got {name!r}")
    known = names(kind)
    if name in known:
        return known[name]
    if "." in name:
        module_name, _, attr = name.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise LookupError(f"cannot import {module_name!r} for type {name!r} ({e})") from None
        if not hasattr(module, attr):
            raise LookupError(f"module {module_name!r} has no attribute {attr!r}")
        return getattr(module, attr)
    raise LookupError(f"unknown {kind} type {name!r}{suggest(name, known)}"
                      + ("" if known else f" (no {kind} classes are importable)"))
