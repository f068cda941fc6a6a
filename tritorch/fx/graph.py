"""torch.fx.graph: Graph, not implemented in tritorch (constructing one raises NotImplementedError)."""
from ._unsupported import fx_error


class Graph:
    """Not implemented: constructing one raises NotImplementedError."""

    def __init__(self, owning_module=None, tracer_cls=None, tracer_extras=None):
        raise fx_error("Graph")
