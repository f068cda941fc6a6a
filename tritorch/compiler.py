"""torch.compiler: the switches around ``torch.compile``, which in tritorch runs code eagerly."""

__all__ = ["disable", "is_compiling", "is_dynamo_compiling", "reset", "allow_in_graph", "assume_constant_result"]


def disable(fn=None, recursive=True, *, reason=None):
    """Returns ``fn`` (or a decorator that does): nothing is compiled anyway."""
    return (lambda f: f) if fn is None else fn


def is_compiling():
    """False: tritorch never runs code under a compiler."""
    return False


is_dynamo_compiling = is_compiling


def reset():
    """Nothing to reset: tritorch keeps no compiled graphs."""


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn
