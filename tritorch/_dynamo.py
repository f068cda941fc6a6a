"""torch._dynamo: the few names programs call directly (reset, allow_in_graph, disable, is_compiling),
the same functions as tritorch.compiler's: tritorch has no graph compiler, so they change nothing."""
from .compiler import allow_in_graph, disable, is_compiling, reset  # noqa: F401

__all__ = ["allow_in_graph", "disable", "is_compiling", "reset"]
