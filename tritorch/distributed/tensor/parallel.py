"""torch.distributed.tensor.parallel: tensor parallelism is not implemented in tritorch. The plan
styles and parallelize_module exist; using any of them raises NotImplementedError saying so."""
from .._unsupported import message, unsupported_class

FEATURE = "tensor parallelism (layers split across ranks over a device mesh)"

ColwiseParallel = unsupported_class("tensor.parallel.ColwiseParallel", FEATURE)
RowwiseParallel = unsupported_class("tensor.parallel.RowwiseParallel", FEATURE)
SequenceParallel = unsupported_class("tensor.parallel.SequenceParallel", FEATURE)
PrepareModuleInput = unsupported_class("tensor.parallel.PrepareModuleInput", FEATURE)
PrepareModuleOutput = unsupported_class("tensor.parallel.PrepareModuleOutput", FEATURE)
ParallelStyle = unsupported_class("tensor.parallel.ParallelStyle", FEATURE)


def parallelize_module(module=None, device_mesh=None, parallelize_plan=None, *, src_data_rank=0):
    """Not implemented: raises NotImplementedError."""
    raise NotImplementedError(message("tensor.parallel.parallelize_module", FEATURE))
