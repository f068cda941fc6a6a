"""torch.distributed.autograd: distributed autograd (gradients across RPC calls) is not implemented in
tritorch, since RPC is not. context(), backward() and get_gradients() raise NotImplementedError."""
from ._unsupported import message

FEATURE = "distributed autograd (backward through torch.distributed.rpc calls)"
HINT = "call loss.backward() on each rank; DistributedDataParallel averages the gradients"


class context:
    """Not implemented: entering (or building) a distributed autograd context raises NotImplementedError."""

    def __init__(self):
        raise NotImplementedError(message("autograd.context", FEATURE, HINT))


def backward(context_id, roots, retain_graph=None):
    """Not implemented: raises NotImplementedError."""
    raise NotImplementedError(message("autograd.backward", FEATURE, HINT))


def get_gradients(context_id):
    """Not implemented: raises NotImplementedError."""
    raise NotImplementedError(message("autograd.get_gradients", FEATURE, HINT))
