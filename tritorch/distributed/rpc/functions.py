"""torch.distributed.rpc.functions: async_execution, not implemented in tritorch."""
from .._unsupported import message


def async_execution(fn):
    """Not implemented: decorating a function for RPC raises NotImplementedError at once, not later."""
    raise NotImplementedError(message("rpc.functions.async_execution",
                                      "torch.distributed.rpc (remote procedure calls and RRefs)",
                                      "exchange tensors with the collectives in tritorch.distributed instead"))
