"""torch.distributed.rpc: not implemented in tritorch (remote calls and remote references between
processes). The names exist; init_rpc and every call raise NotImplementedError saying so."""
from .._unsupported import unsupported_class, unsupported_function
from .api import RRef
from .functions import async_execution  # noqa: F401

FEATURE = "torch.distributed.rpc (remote procedure calls and RRefs)"
HINT = ("run the same program on every rank (tritorch run -n N script.py) and exchange tensors with the "
        "collectives in tritorch.distributed (send/recv, broadcast, all_reduce, all_gather_object)")


def init_rpc(name, backend=None, rank=-1, world_size=None, rpc_backend_options=None):
    """Not implemented: raises NotImplementedError."""
    raise NotImplementedError(f"tritorch.distributed.rpc.init_rpc: tritorch does not implement {FEATURE}; {HINT}")


def shutdown(graceful=True, timeout=0):
    """Not implemented: raises NotImplementedError (there is never an RPC agent to shut down)."""
    raise NotImplementedError(f"tritorch.distributed.rpc.shutdown: tritorch does not implement {FEATURE}; {HINT}")


def rpc_sync(to, func, args=None, kwargs=None, timeout=-1.0):
    """Not implemented: raises NotImplementedError."""
    raise NotImplementedError(f"tritorch.distributed.rpc.rpc_sync: tritorch does not implement {FEATURE}; {HINT}")


def rpc_async(to, func, args=None, kwargs=None, timeout=-1.0):
    """Not implemented: raises NotImplementedError."""
    raise NotImplementedError(f"tritorch.distributed.rpc.rpc_async: tritorch does not implement {FEATURE}; {HINT}")


def remote(to, func, args=None, kwargs=None, timeout=-1.0):
    """Not implemented: raises NotImplementedError."""
    raise NotImplementedError(f"tritorch.distributed.rpc.remote: tritorch does not implement {FEATURE}; {HINT}")


get_worker_info = unsupported_function("rpc.get_worker_info", FEATURE, HINT)
TensorPipeRpcBackendOptions = unsupported_class("rpc.TensorPipeRpcBackendOptions", FEATURE, HINT)
WorkerInfo = unsupported_class("rpc.WorkerInfo", FEATURE, HINT)


def is_available():
    """False: tritorch has no RPC framework."""
    return False


__all__ = ["init_rpc", "shutdown", "rpc_sync", "rpc_async", "remote", "get_worker_info", "RRef",
           "TensorPipeRpcBackendOptions", "WorkerInfo", "async_execution", "is_available"]
