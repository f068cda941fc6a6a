"""Sweep files: what `tritorch tune SWEEP.yaml` tunes, validated with path-named errors.

    kernel: matmul                     # or a list sharing one shape form: [attention, attention_backward]
    dtypes: [bfloat16, float16]
    shapes:                            # each item: the product of its lists and ranges
      - {M: [512, 4096], N: 4096, K: 4096}
      - {M: {from: 128, to: 1024, mul: 2}, N: 1024, K: {from: 256, to: 1024, step: 256}}
      - from_training: configs/char_transformer.yaml     # the shapes one step of that training uses
        overrides: [data.batch_size=8]
    space:                             # optional: the values each config key may take; keys left out
      BLOCK_K: [32, 64]                #   keep the kernel's declared values, and with no space at all
      num_warps: [4, 8]                #   the kernel's own candidate list is used as is
    budget: {max_configs: 40, max_seconds: 3600, timeout: 120}
    measure: {warmup: 10, rep: 50, seed: 0}
    interpret:                         # replaces shapes/space/budget/dtypes under --interpret
      shapes: [{M: 33, N: 47, K: 29}]
      space: {BLOCK_M: [16, 32], BLOCK_N: [16], BLOCK_K: [16], GROUP_M: [4], num_warps: [4], num_stages: [1]}

Every problem is reported at once as a ``ConfigError`` whose lines name the key path and the file line
(``shapes[0].M: must be a positive int, a list of them or a range, got -4  (configs/tune/matmul.yaml:5)``).
"""
import itertools
from dataclasses import dataclass, field

from ..train.config import load_config
from ..train.errors import ConfigError, suggest
from .library import TUNABLES
from .tunable import DTYPES, resolve

TOP_KEYS = ("kernel", "dtypes", "shapes", "space", "budget", "measure", "interpret")
BUDGET = {"max_configs": 100, "max_seconds": None, "timeout": 300.0}
MEASURE = {"warmup": 10, "rep": 50, "seed": 0}
MAX_PRODUCT = 10000


@dataclass
class Sweep:
    """A validated sweep: kernels (registry names or "module:attr"), dtype names, expanded shape dicts,
    and space, budget and measure with their defaults filled in."""
    source: str
    kernels: list
    dtypes: list
    shapes: list
    space: dict = field(default_factory=dict)
    budget: dict = field(default_factory=lambda: dict(BUDGET))
    measure: dict = field(default_factory=lambda: dict(MEASURE))

    @property
    def name(self):
        return self.source.rsplit("/", 1)[-1].rsplit(".", 1)[0] if self.source else "sweep"


def load_sweep(path, overrides=(), interpret=False):
    """The ``Sweep`` in YAML file ``path`` with ``key=value`` overrides; ``interpret`` takes the
    ``interpret:`` section in place of the top-level shapes, space, budget and dtypes."""
    cfg = load_config(path, overrides)
    issues = []
    data = cfg.data
    for key in data:
        if key not in TOP_KEYS:
            issues.append(((key,), f"unknown key{suggest(key, TOP_KEYS)}"))
    prefix = ()
    if interpret and isinstance(data.get("interpret"), dict):
        for key in data["interpret"]:
            if key not in ("shapes", "space", "budget", "dtypes"):
                issues.append((("interpret", key), f"unknown key{suggest(key, ('shapes', 'space', 'budget', 'dtypes'))}"))
        data = {**data, **data["interpret"]}
        prefix = ("interpret",)
    elif "interpret" in data and not isinstance(data["interpret"], dict):
        issues.append((("interpret",), "must be a mapping with shapes, space, budget or dtypes"))

    def where(key):  # the path of a top-level key as written (under interpret: when it came from there)
        return prefix + (key,) if prefix and key in cfg.data["interpret"] else (key,)

    tunables = _kernels(data.get("kernel"), TUNABLES, issues)
    dtypes = _dtypes(data.get("dtypes"), tunables, where("dtypes"), issues)
    shapes = _shapes(data.get("shapes"), tunables, where("shapes"), issues)
    space = _space(data.get("space"), tunables, shapes, dtypes, where("space"), issues)
    budget = _numbers(data.get("budget"), BUDGET, where("budget"), issues)
    measure = _numbers(data.get("measure"), MEASURE, ("measure",), issues)
    if issues:
        raise ConfigError(issues, cfg=cfg)
    names = data["kernel"] if isinstance(data["kernel"], list) else [data["kernel"]]
    return Sweep(str(path), names, dtypes, shapes, space, budget, measure)


def _kernels(value, registry, issues):
    names = value if isinstance(value, list) else [value]
    if value is None or not names or not all(isinstance(n, str) for n in names):
        issues.append((("kernel",), f"must name a kernel or a list of them: {', '.join(registry)}"))
        return []
    tunables = []
    for i, name in enumerate(names):
        path = ("kernel", i) if isinstance(value, list) else ("kernel",)
        try:
            tunables.append(resolve(name, registry))
        except KeyError:
            issues.append((path, f"unknown kernel {name!r}{suggest(name, registry)}"))
        except (ImportError, AttributeError, TypeError) as e:
            issues.append((path, f"cannot load {name!r}: {e}"))
    if len({t.params for t in tunables}) > 1:
        forms = "; ".join(f"{t.name} takes {', '.join(t.params)}" for t in tunables)
        issues.append((("kernel",), f"the kernels of one sweep must take the same shapes: {forms}"))
    return tunables


def _dtypes(value, tunables, path, issues):
    allowed = tunables[0].dtypes if tunables else DTYPES
    if not isinstance(value, list) or not value:
        issues.append((path, f"must be a list of dtypes out of {', '.join(allowed)}"))
        return []
    for i, name in enumerate(value):
        if name not in allowed:
            issues.append((path + (i,), f"unknown dtype {name!r}{suggest(name, allowed)}"))
    return list(dict.fromkeys(value))


def _values(value, path, issues):
    """The ints one shape param takes: an int, a list of ints, or {from, to, step | mul}."""
    if isinstance(value, dict):
        unknown = set(value) - {"from", "to", "step", "mul"}
        if unknown or {"from", "to"} - set(value) or ("step" in value) == ("mul" in value):
            issues.append((path, "a range is {from: A, to: B, step: S} or {from: A, to: B, mul: M}"))
            return []
        start, stop, step, mul = value["from"], value["to"], value.get("step"), value.get("mul")
        if not all(type(v) is int and v > 0 for v in (start, stop, step or mul)) or (mul is not None and mul < 2):
            issues.append((path, f"range bounds and step must be positive ints (mul >= 2), got {value}"))
            return []
        values = []
        while start <= stop:
            values.append(start)
            start = start + step if step else start * mul
        return values
    values = value if isinstance(value, list) else [value]
    if not values or not all(type(v) is int and v > 0 for v in values):
        issues.append((path, f"must be a positive int, a list of them or a range, got {value!r}"))
        return []
    return values


def _shapes(value, tunables, path, issues):
    if not isinstance(value, list) or not value:
        issues.append((path, "must be a list of shapes (mappings of shape params, or from_training)"))
        return []
    if not tunables:
        return []
    tunable = tunables[0]
    params, optional = tunable.params, tuple(tunable.optional or ())
    shapes = []
    for i, item in enumerate(value):
        if isinstance(item, dict) and "from_training" in item:
            shapes += _training_shapes(item, tunables, path + (i,), issues)
            continue
        if not isinstance(item, dict):
            issues.append((path + (i,), f"must be a mapping of {', '.join(params)}, got {item!r}"))
            continue
        for key in item:
            if key not in params + optional:
                issues.append((path + (i, key), f"unknown shape param{suggest(key, params + optional)}"))
        for key in params:
            if key not in item:
                issues.append((path + (i,), f"missing {key} (a {tunable.name} shape has {', '.join(params)})"))
        keys = [k for k in params + optional if k in item]
        lists = [_values(item[k], path + (i, k), issues) for k in keys]
        count = 1
        for values in lists:
            count *= len(values)
        if count > MAX_PRODUCT:
            issues.append((path + (i,), f"expands to {count} shapes (more than {MAX_PRODUCT})"))
            continue
        shapes += [dict(zip(keys, combo)) for combo in itertools.product(*lists)]
    unique = {}
    for shape in shapes:  # the first of equal shapes, in the order written
        unique.setdefault(tuple(sorted(shape.items())), shape)
    return list(unique.values())


def _training_shapes(item, tunables, path, issues):
    from .training_shapes import shapes_from_training
    unknown = set(item) - {"from_training", "overrides"}
    if unknown:
        issues.append((path + (sorted(unknown)[0],), "unknown key; expected from_training and overrides"))
    overrides = item.get("overrides") or []
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        issues.append((path + ("overrides",), "must be a list of key=value strings"))
        return []
    try:
        found = shapes_from_training(item["from_training"], overrides=overrides)
    except (ConfigError, OSError, ValueError) as e:
        issues.append((path + ("from_training",), f"the training config does not build: {e}"))
        return []
    name = tunables[0].name.replace("_backward", "")
    shapes = found["shapes"].get(name, [])
    if not shapes:
        issues.append((path + ("from_training",), f"one step of {item['from_training']} runs no {name}; "
                                                  f"it runs {', '.join(found['shapes']) or 'none of the tunable kernels'}"))
    return shapes


def _space(value, tunables, shapes, dtypes, path, issues):
    if value is None:
        return {}
    if not isinstance(value, dict):
        issues.append((path, "must map config keys to lists of values"))
        return {}
    declared = set()
    for t in tunables:
        for shape in shapes[:1]:
            for config in t.space(t.full_shape(shape), dtypes[0] if dtypes else "float32") + \
                    [t.default(t.full_shape(shape), dtypes[0] if dtypes else "float32")]:
                declared |= set(config)
    space = {}
    for key, values in value.items():
        if declared and key not in declared:
            issues.append((path + (key,), f"not a config key of {', '.join(t.name for t in tunables)}"
                                          f"{suggest(key, declared)}"))
            continue
        values = values if isinstance(values, list) else [values]
        if not values or not all(type(v) is int and v > 0 for v in values):
            issues.append((path + (key,), f"must be a list of positive ints, got {value[key]!r}"))
            continue
        space[key] = list(dict.fromkeys(values))
    return space


def _numbers(value, defaults, path, issues):
    """``defaults`` updated from mapping ``value``: ints for counts (seed and warmup may be 0), numbers
    of seconds for timeout and max_seconds (null: no limit)."""
    if value is None:
        return dict(defaults)
    if not isinstance(value, dict):
        issues.append((path, f"must be a mapping with {', '.join(defaults)}"))
        return dict(defaults)
    out = dict(defaults)
    for key, v in value.items():
        if key not in defaults:
            issues.append((path + (key,), f"unknown key{suggest(key, defaults)}"))
            continue
        if key == "max_seconds" and v is None:
            out[key] = None
            continue
        seconds = key in ("timeout", "max_seconds")
        low = 0 if key in ("seed", "warmup") else 1
        ok = not isinstance(v, bool) and isinstance(v, (int, float) if seconds else int)
        if not ok or (v <= 0 if seconds else v < low):
            what = "a positive number of seconds" if seconds else f"an int >= {low}"
            issues.append((path + (key,), f"must be {what}, got {v!r}"))
        else:
            out[key] = v
    return out
