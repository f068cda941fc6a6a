"""Names of torch.distributed's larger systems that tritorch does not implement (RPC, FSDP, tensor
parallelism, distributed checkpointing, ...). They exist so that imports and `isinstance` checks work;
calling a function or building an object raises NotImplementedError naming the feature and what to
use instead. Plain enums and option records (StateDictType, MixedPrecision, ...) are real: they only
hold values, and the call they are passed to raises.
"""

DDP_HINT = ("wrap the model in tritorch.nn.parallel.DistributedDataParallel (every rank holds the whole "
            "model and gradients are averaged with all_reduce)")


def message(name, feature, hint=DDP_HINT):
    return f"tritorch.distributed.{name}: tritorch does not implement {feature}; {hint}"


def unsupported_function(name, feature, hint=DDP_HINT):
    """A function named `name` that raises NotImplementedError when called."""
    def refuse(*args, **kwargs):
        raise NotImplementedError(message(name, feature, hint))
    refuse.__name__ = refuse.__qualname__ = name.rpartition(".")[2]
    refuse.__doc__ = f"Not implemented in tritorch ({feature}): raises NotImplementedError."
    return refuse


def unsupported_class(name, feature, hint=DDP_HINT, bases=(object,)):
    """A class named `name` whose construction raises NotImplementedError (isinstance works)."""
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(message(name, feature, hint))
    short = name.rpartition(".")[2]
    doc = f"Not implemented in tritorch ({feature}): constructing one raises NotImplementedError."
    return type(short, bases, {"__init__": __init__, "__doc__": doc, "__module__": __name__})
