"""torch.fx.proxy and tracing: not implemented in tritorch. symbolic_trace, Tracer, Proxy and
GraphAppendingTracer raise NotImplementedError naming torch.fx."""
from ._unsupported import fx_error


class Tracer:
    """Not implemented: constructing a tracer (or a subclass of one) raises NotImplementedError."""

    def __init__(self, autowrap_modules=(), autowrap_functions=(), param_shapes_constant=False):
        raise fx_error(type(self).__name__)

    def trace(self, root, concrete_args=None):
        raise fx_error("Tracer.trace")


class GraphAppendingTracer(Tracer):
    """Not implemented: constructing one raises NotImplementedError."""

    def __init__(self, graph):
        raise fx_error("proxy.GraphAppendingTracer")


class Proxy:
    """Not implemented: constructing one raises NotImplementedError."""

    def __init__(self, node, tracer=None):
        raise fx_error("Proxy")


def symbolic_trace(root, concrete_args=None):
    """Not implemented: raises NotImplementedError (tritorch builds no graphs)."""
    raise fx_error("symbolic_trace")
