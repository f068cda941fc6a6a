"""torch.fx.subgraph_rewriter: replace_pattern, not implemented in tritorch."""
from ._unsupported import fx_error


def replace_pattern(gm, pattern, replacement):
    """Not implemented: raises NotImplementedError (no GraphModule can exist in tritorch)."""
    raise fx_error("replace_pattern")
