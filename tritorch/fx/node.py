"""torch.fx.node: Node (not implemented: constructing one raises) and map_arg (real)."""
from typing import Any, Callable, Union

from ._unsupported import fx_error

Target = Union[Callable[..., Any], str]


class Node:
    """Not implemented: constructing one raises NotImplementedError."""

    def __init__(self, graph, name, op, target, args, kwargs, return_type=None):
        raise fx_error("Node")


def map_arg(a, fn):
    """Apply `fn` to every Node inside `a` (nested tuples, lists, dicts and slices), rebuilding the
    containers; everything else is returned as it is. Nodes cannot be built in tritorch, so this maps
    only what a caller put in itself."""
    if not callable(fn):
        raise AssertionError("torch.fx.map_arg(a, fn): fn must be a callable")
    return _map(a, lambda x: fn(x) if isinstance(x, Node) else x)


def map_aggregate(a, fn):
    """Apply `fn` to every leaf of `a` (nested tuples, lists, dicts and slices)."""
    return _map(a, fn)


def _map(a, fn):
    if isinstance(a, tuple):
        out = tuple(_map(x, fn) for x in a)
        return type(a)(*out) if hasattr(a, "_fields") else out
    if isinstance(a, list):
        return [_map(x, fn) for x in a]
    if isinstance(a, dict):
        return type(a)((k, _map(v, fn)) for k, v in a.items())
    if isinstance(a, slice):
        return slice(_map(a.start, fn), _map(a.stop, fn), _map(a.step, fn))
    return fn(a)
