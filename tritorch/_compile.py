"""torch.compile: returns a callable with the same behaviour (tritorch has no graph compiler yet;
its speed comes from its Triton kernels, which run either way)."""

__all__ = ["compile"]


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """``torch.compile(model)`` returns ``model`` itself (a function or nn.Module; an nn.Module keeps
    its state_dict keys, without PyTorch's ``_orig_mod.`` prefix). ``torch.compile(**kwargs)`` with
    no model is a decorator. The keyword arguments are checked for type and otherwise ignored."""
    if mode is not None and mode not in ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"):
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: default, reduce-overhead, max-autotune, "
                           "max-autotune-no-cudagraphs")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError("The torch.compile target must be callable")
    return model
