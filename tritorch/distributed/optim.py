"""torch.distributed.optim: DistributedOptimizer (optimizing RRef parameters over RPC) and
ZeroRedundancyOptimizer are not implemented in tritorch (constructing one raises)."""
from ._unsupported import unsupported_class

DistributedOptimizer = unsupported_class(
    "optim.DistributedOptimizer", "DistributedOptimizer (parameters held as RPC RRefs)",
    "with DistributedDataParallel every rank steps an ordinary tritorch.optim optimizer")
ZeroRedundancyOptimizer = unsupported_class(
    "optim.ZeroRedundancyOptimizer", "ZeroRedundancyOptimizer (optimizer state sharded across ranks)",
    "with DistributedDataParallel every rank steps an ordinary tritorch.optim optimizer")
