"""torch.distributed.checkpoint.state_dict: the sharded state-dict helpers are not implemented in tritorch.

StateDictOptions is a real record (it only holds values); the get_/set_ functions raise
NotImplementedError: a plain module's model.state_dict() / optimizer.state_dict() is what they
would return without FSDP, and tritorch has no FSDP."""
from dataclasses import dataclass

from . import FEATURE, HINT
from .._unsupported import unsupported_function

HINT = ("without FSDP use model.state_dict() / model.load_state_dict() and optimizer.state_dict() / "
        "optimizer.load_state_dict(); " + HINT)


@dataclass
class StateDictOptions:
    full_state_dict: bool = False
    cpu_offload: bool = False
    ignore_frozen_params: bool = False
    keep_submodule_prefixes: bool = True
    strict: bool = True
    broadcast_from_rank0: bool = False
    flatten_optimizer_state_dict: bool = False
    dsd_fqn_modifiers: str = "_fqn_modifiers"


get_model_state_dict = unsupported_function("checkpoint.state_dict.get_model_state_dict", FEATURE, HINT)
get_optimizer_state_dict = unsupported_function("checkpoint.state_dict.get_optimizer_state_dict", FEATURE, HINT)
set_model_state_dict = unsupported_function("checkpoint.state_dict.set_model_state_dict", FEATURE, HINT)
set_optimizer_state_dict = unsupported_function("checkpoint.state_dict.set_optimizer_state_dict", FEATURE, HINT)
get_state_dict = unsupported_function("checkpoint.state_dict.get_state_dict", FEATURE, HINT)
set_state_dict = unsupported_function("checkpoint.state_dict.set_state_dict", FEATURE, HINT)
_init_optim_state = unsupported_function("checkpoint.state_dict._init_optim_state", FEATURE, HINT)
