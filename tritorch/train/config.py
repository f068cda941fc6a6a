"""Read a YAML config: PyYAML with YAML 1.2 floats, line numbers for error messages, `${...}` references.

    cfg = load_config("configs/digits_mlp.yaml", ["optimizer.lr=3e-4", "model.layers.0.out_features=256"])
    cfg.data                     # the plain dict tree: dicts, lists, str, int, float, bool, None
    cfg.where(("model", "layers", 2))  # "configs/digits_mlp.yaml:14" for error messages

PyYAML implements YAML 1.1, where `1e-3` is a *string* (a float needs a dot: `1.0e-3`). The loader
here adds YAML 1.2's float forms, so `lr: 1e-3` and `lr: 3E-4` read as floats.

References: a string that is exactly `${a.b.c}` takes the value at that key path (any type);
`${a.b}` inside a longer string is replaced by its text. `${dataset.NAME}` is left as it is: it
names an attribute of the training dataset (`vocab_size`, `num_classes`, ...) filled in when the
data exists.

Safety: the loader is PyYAML's SafeLoader (plain data only: no `!!python/...` tags), and a file
is refused before loading when it is not a regular file, larger than 4 MiB, nested deeper than
100 levels or expands past 100,000 nodes through aliases (yaml_safety.py).
"""
import re
from pathlib import Path

import yaml

from .errors import ConfigError, format_path
from .yaml_safety import LimitError, check_structure, read_limited

_FLOAT_12 = re.compile(r"""^(?:
     [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)


class Loader(yaml.SafeLoader):
    """SafeLoader (no Python objects) + YAML 1.2 floats (`1e-3`) + an error on duplicate keys."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool, type(None))):
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be a plain value, got a {type(key).__name__}", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))

REF = re.compile(r"\$\{([A-Za-z_][\w.]*)\}")


def parse_value(text):
    """A YAML scalar (or flow list/dict) from the command line: '3e-4' -> 0.0003, 'true' -> True."""
    if not text.strip():
        return ""
    check_structure(text, Loader)
    return yaml.load(text, Loader=Loader)


def _line_map(node, path=(), lines=None):
    """{key path tuple: 1-based line} for every key and list item of a composed YAML node."""
    lines = {} if lines is None else lines
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            sub = path + (key_node.value,)
            lines[sub] = key_node.start_mark.line + 1
            _line_map(value_node, sub, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _line_map(item, path + (i,), lines)
    return lines


class Config:
    """A config tree (`data`) with where it came from: the file, line numbers and the overrides."""

    def __init__(self, data, source=None, lines=None, overridden=None):
        self.data = data
        self.source = source
        self.lines = lines or {}
        self.overridden = overridden or {}  # path tuple -> the override text

    @property
    def name(self):
        return Path(self.source).stem if self.source else "run"

    def where(self, path):
        """'override a.b=1' when an override set `path`, an ancestor or a key below it (the error is
        the override's doing), else 'file.yaml:12' for the nearest ancestor in the file, else ''."""
        path = tuple(path)
        for n in range(len(path), 0, -1):
            if path[:n] in self.overridden:
                return f"override {self.overridden[path[:n]]}"
        below = [text for key, text in self.overridden.items() if path and key[:len(path)] == path]
        if below:
            return "override " + ", ".join(below)
        for n in range(len(path), 0, -1):
            if path[:n] in self.lines:
                return f"{self.source}:{self.lines[path[:n]]}"
        return self.source or ""

    def get(self, path, default=None):
        node = self.data
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return default
        return node


def read_yaml(path):
    """(data, line map) of a YAML file; a syntax error becomes a ConfigError with the line."""
    path = str(path)
    try:
        text = read_limited(path)
    except OSError as e:
        raise ConfigError([((), f"cannot read the config file: {e.strerror or e}")], source=path) from None
    except ValueError as e:
        raise ConfigError([((), f"{path}: refused: {e}")]) from None
    try:
        check_structure(text, Loader)
        data = yaml.load(text, Loader=Loader)
        lines = _line_map(yaml.compose(text, Loader=Loader))
    except LimitError as e:
        raise ConfigError([((), f"{path}:{e.line}: refused: {e}")]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else path
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError([((), f"{where}: invalid YAML: {problem}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([((), f"the top level must be a mapping of sections, got {type(data).__name__}")],
                          source=path)
    return data, lines


def load_config(path=None, overrides=(), data=None):
    """Config from a YAML file (or a dict), with `key=value` overrides applied and references resolved."""
    from .overrides import apply_overrides
    if data is not None:
        cfg = Config(data, source=None)
    else:
        data, lines = read_yaml(path)
        cfg = Config(data, source=str(path), lines=lines)
    apply_overrides(cfg, overrides)
    cfg.data = resolve_references(cfg)
    return cfg


def resolve_references(cfg):
    """A copy of cfg.data with every `${a.b}` replaced (except `${dataset.*}`); cycles are errors."""
    issues = []

    def lookup(ref, path, stack):
        keys = tuple(int(k) if k.isdigit() else k for k in ref.split("."))
        if keys in stack:
            issues.append((path, f"circular reference ${{{ref}}}"))
            return None
        value = cfg.get(keys, _MISSING)
        if value is _MISSING:
            issues.append((path, f"${{{ref}}} refers to a key that does not exist"))
            return None
        return walk(value, keys, stack + (keys,))

    def walk(node, path, stack):
        if isinstance(node, dict):
            return {k: walk(v, path + (k,), stack) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, path + (i,), stack) for i, v in enumerate(node)]
        if not isinstance(node, str) or "${" not in node:
            return node
        whole = REF.fullmatch(node)
        if whole:
            return node if whole.group(1).startswith("dataset.") else lookup(whole.group(1), path, stack)
        return REF.sub(lambda m: m.group(0) if m.group(1).startswith("dataset.")
                       else str(lookup(m.group(1), path, stack)), node)

    out = walk(cfg.data, (), ())
    if issues:
        raise ConfigError(issues, cfg=cfg)
    return out


_MISSING = object()


def dump_yaml(data):
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, allow_unicode=True)


__all__ = ["Config", "Loader", "dump_yaml", "format_path", "load_config", "parse_value", "read_yaml"]
