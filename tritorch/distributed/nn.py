"""torch.distributed.nn: RemoteModule (a module living on another RPC worker) is not implemented in tritorch."""
from ._unsupported import unsupported_class

RemoteModule = unsupported_class("nn.RemoteModule", "RemoteModule (torch.distributed.rpc)",
                                 "build the module on each rank and wrap it in DistributedDataParallel")
