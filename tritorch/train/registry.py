"""Which classes a config may name, by kind: `type: Linear`, `type: AdamW`, `type: mypkg.models.Net`.

Kinds and what they hold:
    module     every nn.Module subclass in tritorch.nn (layers and losses) and tritorch.train.models,
               and PretrainedTextClassifier (tritorch.models.finetune)
    optimizer  every Optimizer subclass in tritorch.optim
    scheduler  every scheduler class in tritorch.optim.lr_scheduler
    dataset    every Dataset subclass in tritorch.datasets and tritorch.utils.data, and
               PretrainedTextClassification (tritorch.models.finetune)

A dotted name outside tritorch (`mypkg.models.Net`) is imported only when the user allowed its
module (`allowed`: the config's `imports:` list and `--allow-import`; see imports.py), and only a
subclass of the kind's base class (nn.Module, Optimizer, LRScheduler, Dataset) is accepted:
never a function, a builtin or anything from the standard library. `register("module")(MyNet)`
adds a short name.
"""
import importlib
import inspect

from . import imports
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


def _named(module_name, class_names):
    """{name: class} for the listed classes of one module (explicitly chosen, not every class in it)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return {}
    return {n: getattr(module, n) for n in class_names if hasattr(module, n)}


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
        found.update(_named("tritorch.models.finetune", ("PretrainedTextClassifier",)))
    elif kind == "optimizer":
        found = _classes("tritorch.optim", "tritorch.optim", "Optimizer")
        found.pop("Optimizer", None)
    elif kind == "scheduler":
        found = _schedulers()
    elif kind == "dataset":
        found = _classes("tritorch.utils.data", "tritorch.utils.data", "Dataset")
        found.update(_classes("tritorch.datasets", "tritorch.utils.data", "Dataset"))
        found.update(_named("tritorch.models.finetune", ("PretrainedTextClassification",)))
        for base in ("Dataset", "IterableDataset"):
            found.pop(base, None)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    found.update(_EXTRA[kind])
    return found


BASES = {"module": ("tritorch.nn", "Module", "an nn.Module"),
         "optimizer": ("tritorch.optim", "Optimizer", "an Optimizer"),
         "scheduler": ("tritorch.optim.lr_scheduler", "LRScheduler", "an LRScheduler"),
         "dataset": ("tritorch.utils.data", "Dataset", "a Dataset")}


def _check_class(kind, name, obj):
    """`obj` when it is a non-stdlib subclass of the kind's base class, else LookupError."""
    module_name, base_name, what = BASES[kind]
    base = getattr(importlib.import_module(module_name), base_name)
    if not (inspect.isclass(obj) and issubclass(obj, base)):
        got = "a class" if inspect.isclass(obj) else "a function" if callable(obj) else f"a {type(obj).__name__}"
        raise LookupError(f"{name!r} is {got}, not {what} subclass; only {what} subclass can be named here")
    if imports.is_stdlib_object(obj):
        raise LookupError(f"{name!r} comes from Python's standard library; only {what} subclass can be named here")
    return obj


def lookup(kind, name, allowed=()):
    """The class a config names; LookupError with a suggestion when there is none.

    A dotted name is resolved only inside tritorch or inside a module covered by `allowed`; the
    name is checked before anything is imported.
    """
    if not isinstance(name, str) or not name:
        raise LookupError(f"type should be a class name (a string), got {name!r}")
    known = names(kind)
    if name in known:
        return known[name]
    if "." not in name:
        raise LookupError(f"unknown {kind} type {name!r}{suggest(name, known)}"
                          + ("" if known else f" (no {kind} classes are importable)"))
    if not imports.DOTTED.fullmatch(name) or any(p.startswith("__") for p in name.split(".")):
        raise LookupError(f"{name!r} is not a class name (expected Name or package.module.Name)")
    module_name, _, attr = name.rpartition(".")
    if imports.is_stdlib_name(module_name):
        raise LookupError(f"{name!r} is in Python's standard library; a config can only name "
                          f"{BASES[kind][2]} subclass from tritorch or from a package you allow")
    if imports.is_builtin(module_name):
        if any(p.startswith("_") for p in module_name.split(".")):
            raise LookupError(f"{name!r}: a config cannot name tritorch's private modules")
    elif imports.allowed_by(module_name, allowed) is None:
        raise LookupError(f"{name!r} is not a tritorch class and {module_name!r} is not allowed; to use it, "
                          + imports.HOW_TO_ALLOW.format(module=module_name))
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # the user's module failed to import: say so, without a traceback
        raise LookupError(f"cannot import {module_name!r} for type {name!r} ({type(e).__name__}: {e})") from None
    if not hasattr(module, attr):
        raise LookupError(f"module {module_name!r} has no attribute {attr!r}")
    return _check_class(kind, name, getattr(module, attr))
