"""Hydra-style command-line overrides: `key.sub.0.name=value`.

    optimizer.lr=3e-4                  set (the value is read as YAML: 3e-4 is a float, true a bool)
    model.layers.1.out_features=256    list items by index
    data.splits=[train,val]            flow lists and dicts work too
    +trainer.new_key=1                 a leading + is accepted (new keys need no + here)
    ~scheduler                         delete a key

A path through a missing key creates the mapping; a path through a list needs an existing index.
Unknown keys are caught later by validation, with their path.
"""
from .config import parse_value
from .errors import ConfigError, format_path


def parse_override(text):
    """'a.b.0=3e-4' -> (('a', 'b', 0), 0.0003, False); '~a.b' -> (('a', 'b'), None, True)."""
    delete = text.startswith("~")
    body = text[1:] if delete or text.startswith("+") else text
    if delete:
        key, value = body.partition("=")[0], None
    else:
        key, eq, raw = body.partition("=")
        if not eq:
            raise ConfigError([((), f"override {text!r}: expected key=value (e.g. optimizer.lr=3e-4)")])
        try:
            value = parse_value(raw)
        except Exception as e:  # yaml's errors: show the text, not a traceback
            raise ConfigError([((), f"override {text!r}: cannot read the value {raw!r} as YAML ({e})")]) from None
    parts = key.strip().split(".")
    if not key.strip() or any(not p for p in parts):
        raise ConfigError([((), f"override {text!r}: empty key path")])
    return tuple(int(p) if p.isdigit() else p for p in parts), value, delete


def set_path(tree, path, value, delete=False, text=""):
    """Set (or delete) tree[path...] in place; errors name the override and the path walked."""
    node = tree
    for depth, key in enumerate(path[:-1]):
        here = format_path(path[:depth + 1])
        if isinstance(node, list):
            if not isinstance(key, int) or not 0 <= key < len(node):
                raise ConfigError([((), f"override {text!r}: {format_path(path[:depth]) or 'the config'} is a "
                                    f"list of {len(node)} items, no index {key!r}")])
            node = node[key]
        elif isinstance(node, dict):
            if key not in node or node[key] is None:
                if delete:
                    raise ConfigError([((), f"override {text!r}: {here} does not exist")])
                node[key] = {}
            node = node[key]
        else:
            raise ConfigError([((), f"override {text!r}: {format_path(path[:depth])} is {node!r}, "
                                f"not a mapping or list")])
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not 0 <= last <= len(node) - (1 if delete else 0):
            raise ConfigError([((), f"override {text!r}: {format_path(path[:-1])} is a list of {len(node)} "
                                f"items, no index {last!r}")])
        if delete:
            del node[last]
        elif last == len(node):
            node.append(value)
        else:
            node[last] = value
    elif isinstance(node, dict):
        if delete:
            if last not in node:
                raise ConfigError([((), f"override {text!r}: {format_path(path)} does not exist")])
            del node[last]
        else:
            node[last] = value
    else:
        raise ConfigError([((), f"override {text!r}: {format_path(path[:-1])} is {node!r}, not a mapping or list")])


def apply_overrides(cfg, overrides):
    """Apply `key=value` strings to cfg.data in order, recording each path in cfg.overridden."""
    for text in overrides:
        path, value, delete = parse_override(text)
        set_path(cfg.data, path, value, delete, text)
        if not delete:
            cfg.overridden[path] = text
    return cfg
