"""torch.distributed.rpc.api: RRef, not implemented in tritorch (constructing one raises)."""
from .._unsupported import unsupported_class

RRef = unsupported_class("rpc.RRef", "torch.distributed.rpc (remote procedure calls and RRefs)",
                         "exchange tensors with the collectives in tritorch.distributed instead")
