"""torch.fx: tritorch cannot trace programs into graphs (its autograd records operations as they run,
it never builds a symbolic program). The names exist so that model files which import torch.fx or call
`torch.fx.wrap` at import time load and run; tracing and building graphs raise NotImplementedError.

`wrap` is real: it marks a function as a leaf for a tracer and returns its argument unchanged, which
is all it does in PyTorch outside tracing. `node.map_arg` is real on plain containers.
"""
from .graph import Graph  # noqa: F401
from .graph_module import GraphModule  # noqa: F401
from .node import Node, map_arg  # noqa: F401
from .proxy import Proxy, Tracer, symbolic_trace  # noqa: F401
from .subgraph_rewriter import replace_pattern  # noqa: F401

_wrapped = []   # what wrap() was asked to keep as a leaf (kept for a tracer that may come)


def wrap(fn_or_name):
    """Mark `fn_or_name` (a function, or the name of a global function of the calling module) as a
    leaf for symbolic tracing; returns it unchanged, so `@torch.fx.wrap` and `torch.fx.wrap('len')`
    work as in PyTorch. Tracing itself is not implemented."""
    if not callable(fn_or_name) and not isinstance(fn_or_name, str):
        raise RuntimeError("Unsupported type for global function! Must be either a callable or string name")
    _wrapped.append(fn_or_name)
    return fn_or_name


__all__ = ["symbolic_trace", "Tracer", "Graph", "GraphModule", "Node", "Proxy", "wrap", "replace_pattern"]
