"""Resolved config -> objects: model, loss, optimizer, scheduler (with warm-up), device.

    model = build_model(cfg["model"], info)       # info: dataset_info(train) for ${dataset.*}
    optimizer = build_optimizer(cfg["optimizer"], model.parameters())
    scheduler, interval = build_scheduler(cfg["scheduler"], optimizer)

`allowed`: the modules outside tritorch that `type:` may name (the config's `imports:` and
`--allow-import`; see imports.py). `paths`, a dict, receives {id(object): config key path} for
every object built, so an error in a forward can name the config key of the layer.
"""
import inspect

from . import registry
from .config import REF
from .errors import ConfigError
from .schema import SCHEDULER_EXTRA
from .validate import VARARGS_KEY


def _fill(value, info, path):
    """Replace `${dataset.NAME}` with info[NAME]."""
    if isinstance(value, str) and "${dataset." in value:
        whole = REF.fullmatch(value)
        if whole and whole.group(1).startswith("dataset."):
            key = whole.group(1)[len("dataset."):]
            if key not in info:
                raise ConfigError([(path, f"${{dataset.{key}}}: the training dataset has no {key!r} "
                                          f"(it has {', '.join(sorted(info)) or 'nothing to offer'})")])
            return info[key]
    if isinstance(value, dict):
        return {k: _fill(v, info, path + (k,)) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, info, path + (i,)) for i, v in enumerate(value)]
    return value


def construct(spec, kind, path=(), args=(), info=None, nested=True, allowed=(), paths=None):
    """Build `{type: Name, ...}`; nested `type:` mappings (in values and lists) are built first."""
    spec = _fill(spec, info or {}, path)
    try:
        cls = registry.lookup(kind, spec["type"], allowed)
    except LookupError as e:  # validation catches this first; a config built without it still says why
        raise ConfigError([(path + ("type",), str(e))]) from None
    sub = dict(kind=kind, info=info, allowed=allowed, paths=paths)
    kwargs = {}
    for key, value in spec.items():
        if key == "type":
            continue
        if nested and isinstance(value, dict) and "type" in value:
            value = construct(value, path=path + (key,), **sub)
        elif nested and isinstance(value, list):
            value = [construct(v, path=path + (key, i), **sub) if isinstance(v, dict) and "type" in v else v
                     for i, v in enumerate(value)]
        kwargs[key] = value
    var_key = VARARGS_KEY.get(cls.__name__)
    if var_key is None:
        var_pos = [p for p in inspect.signature(cls).parameters.values() if p.kind == p.VAR_POSITIONAL]
        var_key = var_pos[0].name if var_pos else None
    varargs = list(kwargs.pop(var_key, [])) if var_key in kwargs else []
    try:
        obj = cls(*args, *varargs, **kwargs)
    except (TypeError, ValueError, RuntimeError) as e:  # the class's own check: keep the message, add the path
        raise ConfigError([(path, f"{cls.__name__}(...) failed: {e}")]) from e
    if paths is not None:
        paths[id(obj)] = path
    return obj


def build_model(spec, info=None, allowed=(), paths=None):
    return construct(spec, "module", ("model",), info=info, allowed=allowed, paths=paths)


def build_loss(spec, info=None, allowed=(), paths=None):
    return construct(spec, "module", ("loss",), info=info, allowed=allowed, paths=paths)


def build_optimizer(spec, params, allowed=()):
    return construct(spec, "optimizer", ("optimizer",), args=(list(params),), nested=False, allowed=allowed)


def build_scheduler(spec, optimizer, allowed=()):
    """(scheduler or None, 'step' | 'epoch'). warmup_steps > 0 wraps it: LinearLR then it, by SequentialLR."""
    if not spec:
        return None, "step"
    from ..optim import lr_scheduler
    main_spec = {k: v for k, v in spec.items() if k not in SCHEDULER_EXTRA}
    main = construct(main_spec, "scheduler", ("scheduler",), args=(optimizer,), nested=False, allowed=allowed)
    warmup = spec.get("warmup_steps") or 0
    if warmup:
        ramp = lr_scheduler.LinearLR(optimizer, start_factor=spec.get("warmup_start_factor", 0.01), end_factor=1.0,
                                     total_iters=warmup)
        main = lr_scheduler.SequentialLR(optimizer, [ramp, main], milestones=[warmup])
    return main, spec.get("interval", "step")


def pick_device(name):
    """'auto' -> 'cuda' when a real GPU is usable (not the TRITON_INTERPRET emulation), else 'cpu'."""
    import tritorch
    if name != "auto":
        if name.startswith("cuda") and not tritorch.cuda.is_available():
            raise ConfigError([(("device",), f"device {name!r} is not usable here (no GPU, or cuda-python "
                                             f"missing: pip install tritorch[cuda]); use device: cpu or auto")])
        return tritorch.device(name)
    try:
        usable = tritorch.cuda.is_available() and not tritorch.cuda.is_emulated()
    except Exception:
        usable = False
    return tritorch.device("cuda" if usable else "cpu")


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
