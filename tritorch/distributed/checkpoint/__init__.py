"""torch.distributed.checkpoint (DCP): sharded checkpoints are not implemented in tritorch. The names
exist; saving, loading, readers, writers and planners raise NotImplementedError pointing at
tritorch.save / tritorch.load of a state dict, which every rank of a DDP run can read."""
from .._unsupported import unsupported_class, unsupported_function

FEATURE = "torch.distributed.checkpoint (sharded, multi-file checkpoints)"
HINT = ("save model.state_dict() on rank 0 with tritorch.save(..., 'ckpt.pt') (or .safetensors) and "
        "load it on every rank with tritorch.load")

FileSystemReader = unsupported_class("checkpoint.FileSystemReader", FEATURE, HINT)
FileSystemWriter = unsupported_class("checkpoint.FileSystemWriter", FEATURE, HINT)
save = unsupported_function("checkpoint.save", FEATURE, HINT)
load = unsupported_function("checkpoint.load", FEATURE, HINT)
save_state_dict = unsupported_function("checkpoint.save_state_dict", FEATURE, HINT)
load_state_dict = unsupported_function("checkpoint.load_state_dict", FEATURE, HINT)
