"""torch.fx.graph_module: GraphModule, not implemented in tritorch (constructing one raises)."""
from ..nn.modules.module import Module
from ._unsupported import fx_error


class GraphModule(Module):
    """Not implemented: constructing one raises NotImplementedError. `isinstance(m, GraphModule)` is
    False for every module, as no traced module can exist."""

    def __init__(self, root, graph, class_name="GraphModule"):
        raise fx_error("GraphModule")
