"""torch.distributed.fsdp: not implemented in tritorch. FullyShardedDataParallel, fully_shard and
FSDPModule raise NotImplementedError pointing at DistributedDataParallel; the enums and option
records (StateDictType, ShardingStrategy, MixedPrecision, ...) exist as values."""
from dataclasses import dataclass
from typing import Any, Optional

from .._unsupported import message, unsupported_class
from .fully_sharded_data_parallel import (FEATURE, BackwardPrefetch, CPUOffload, FullStateDictConfig,  # noqa: F401
                                          FullyShardedDataParallel, MixedPrecision, ShardedStateDictConfig,
                                          ShardingStrategy, StateDictType)

FSDPModule = unsupported_class("fsdp.FSDPModule", FEATURE)


@dataclass
class MixedPrecisionPolicy:
    param_dtype: Optional[Any] = None
    reduce_dtype: Optional[Any] = None
    output_dtype: Optional[Any] = None
    cast_forward_inputs: bool = True


def fully_shard(module, *, mesh=None, reshard_after_forward=True, shard_placement_fn=None, mp_policy=None,
                offload_policy=None, ignored_params=None):
    """Not implemented (FSDP2): raises NotImplementedError."""
    raise NotImplementedError(message("fsdp.fully_shard", FEATURE))
