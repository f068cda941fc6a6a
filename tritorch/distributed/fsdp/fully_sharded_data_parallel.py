"""torch.distributed.fsdp.fully_sharded_data_parallel: FSDP is not implemented in tritorch.

FullyShardedDataParallel (and its static state-dict helpers) raise NotImplementedError pointing at
DistributedDataParallel. The enums and option records are real (they only hold values)."""
import enum
from dataclasses import dataclass
from typing import Any, Optional

from .._unsupported import message

FEATURE = "FSDP (fully sharded data parallel: parameters, gradients and optimizer state sharded across ranks)"


def _refuse(name):
    raise NotImplementedError(message(name, FEATURE))


class StateDictType(enum.Enum):
    FULL_STATE_DICT = enum.auto()
    LOCAL_STATE_DICT = enum.auto()
    SHARDED_STATE_DICT = enum.auto()


class ShardingStrategy(enum.Enum):
    FULL_SHARD = enum.auto()
    SHARD_GRAD_OP = enum.auto()
    NO_SHARD = enum.auto()
    HYBRID_SHARD = enum.auto()
    _HYBRID_SHARD_ZERO2 = enum.auto()


class BackwardPrefetch(enum.Enum):
    BACKWARD_PRE = enum.auto()
    BACKWARD_POST = enum.auto()


@dataclass
class MixedPrecision:
    param_dtype: Optional[Any] = None
    reduce_dtype: Optional[Any] = None
    buffer_dtype: Optional[Any] = None
    keep_low_precision_grads: bool = False
    cast_forward_inputs: bool = False
    cast_root_forward_inputs: bool = True


@dataclass
class CPUOffload:
    offload_params: bool = False


@dataclass
class FullStateDictConfig:
    offload_to_cpu: bool = False
    rank0_only: bool = False


@dataclass
class ShardedStateDictConfig:
    offload_to_cpu: bool = False


class FullyShardedDataParallel:
    """Not implemented in tritorch: constructing one raises NotImplementedError (use
    DistributedDataParallel). `isinstance(m, FullyShardedDataParallel)` is False for every module."""

    def __init__(self, module, process_group=None, sharding_strategy=None, cpu_offload=None,
                 auto_wrap_policy=None, backward_prefetch=None, mixed_precision=None, ignored_modules=None,
                 param_init_fn=None, device_id=None, sync_module_states=False, forward_prefetch=False,
                 limit_all_gathers=True, use_orig_params=False, ignored_states=None, device_mesh=None):
        _refuse("fsdp.FullyShardedDataParallel")

    @staticmethod
    def state_dict_type(module, state_dict_type, state_dict_config=None, optim_state_dict_config=None):
        _refuse("fsdp.FullyShardedDataParallel.state_dict_type")

    @staticmethod
    def full_optim_state_dict(model, optim, optim_input=None, rank0_only=True, group=None):
        _refuse("fsdp.FullyShardedDataParallel.full_optim_state_dict")

    @staticmethod
    def optim_state_dict(model, optim, optim_state_dict=None, group=None):
        _refuse("fsdp.FullyShardedDataParallel.optim_state_dict")

    @staticmethod
    def scatter_full_optim_state_dict(full_optim_state_dict, model, optim_input=None, optim=None, group=None):
        _refuse("fsdp.FullyShardedDataParallel.scatter_full_optim_state_dict")
