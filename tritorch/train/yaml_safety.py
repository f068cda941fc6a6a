"""Limits on a YAML config before it is loaded: size, nesting depth and nodes after alias expansion.

A config is a few hundred nodes a few levels deep. An alias bomb ("billion laughs": `b: [*a, *a, ...]`
nested ten times) is small text that expands to 10^9 nodes, and 5,000 nested `[` overflow the
recursive composer; both are refused here from the parser's event stream, which is read in one
flat pass without building anything.

    text = read_limited("config.yaml")         # ValueError: not a regular file / larger than 4 MiB
    check_structure(text)                      # LimitError: nesting / node count / recursive alias
"""
import os
import stat

import yaml

MAX_BYTES = 4 * 2 ** 20     # 4 MiB
MAX_DEPTH = 100             # nested mappings/lists (a config needs about 6)
MAX_NODES = 100_000         # nodes after expanding every alias (a config has a few hundred)


class LimitError(ValueError):
    """A YAML text past a limit; `line` (1-based) is where it was found."""

    def __init__(self, message, mark):
        super().__init__(message)
        self.line = mark.line + 1


def read_limited(path, max_bytes=MAX_BYTES):
    """The text of a regular file of at most `max_bytes`; OSError or ValueError otherwise (no endless reads)."""
    with open(path, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError("not a regular file")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"larger than {max_bytes // 2 ** 20} MiB; a config is a few KB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 text ({e.reason} at byte {e.start})") from None


def check_structure(text, loader=yaml.SafeLoader, max_depth=MAX_DEPTH, max_nodes=MAX_NODES):
    """LimitError (with its line) when `text` nests deeper than `max_depth`, expands to more than
    `max_nodes` nodes through its aliases, or holds an alias to its own enclosing node."""
    stack = []                 # open collections: [nodes so far, levels of collections inside, anchor]
    done = {}                  # anchor -> (nodes, levels) of its finished node
    root_nodes = 0

    def add(nodes, height, anchor, mark):
        nonlocal root_nodes
        if anchor is not None:
            done[anchor] = (nodes, height)
        if not stack:
            root_nodes += nodes
            total = root_nodes
        else:
            parent = stack[-1]
            parent[0] += nodes
            parent[1] = max(parent[1], height)
            total = parent[0]
        if len(stack) + height > max_depth:
            raise LimitError(f"nested deeper than {max_depth} levels", mark)
        if total > max_nodes:
            raise LimitError(f"more than {max_nodes:,} values once aliases are expanded (an alias bomb?)", mark)

    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= max_depth:
                raise LimitError(f"nested deeper than {max_depth} levels", event.start_mark)
            stack.append([1, 0, event.anchor])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            nodes, height, anchor = stack.pop()
            add(nodes, height + 1, anchor, event.start_mark)
        elif isinstance(event, yaml.ScalarEvent):
            add(1, 0, event.anchor, event.start_mark)
        elif isinstance(event, yaml.AliasEvent):
            if any(frame[2] == event.anchor for frame in stack):
                raise LimitError(f"alias *{event.anchor} refers to a node that contains it (a recursive structure)",
                                 event.start_mark)
            nodes, height = done.get(event.anchor, (1, 0))
            add(nodes, height, None, event.start_mark)
