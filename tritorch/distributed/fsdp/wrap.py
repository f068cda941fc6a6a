"""torch.distributed.fsdp.wrap: FSDP's auto-wrap policies, not implemented in tritorch (FSDP is not)."""
from .fully_sharded_data_parallel import FEATURE
from .._unsupported import unsupported_function

size_based_auto_wrap_policy = unsupported_function("fsdp.wrap.size_based_auto_wrap_policy", FEATURE)
transformer_auto_wrap_policy = unsupported_function("fsdp.wrap.transformer_auto_wrap_policy", FEATURE)
