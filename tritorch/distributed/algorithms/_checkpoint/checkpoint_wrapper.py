"""torch.distributed.algorithms._checkpoint.checkpoint_wrapper: not implemented in tritorch.

CheckpointImpl is a real enum; checkpoint_wrapper and apply_activation_checkpointing raise
NotImplementedError (tritorch does not recompute activations to save memory)."""
import enum

from ..._unsupported import unsupported_function

FEATURE = "activation checkpointing wrappers (recomputing activations in backward to save memory)"
HINT = "run the module unwrapped: results and gradients are the same, only memory use differs"


class CheckpointImpl(enum.Enum):
    REENTRANT = enum.auto()
    NO_REENTRANT = enum.auto()


checkpoint_wrapper = unsupported_function("algorithms._checkpoint.checkpoint_wrapper.checkpoint_wrapper",
                                          FEATURE, HINT)
apply_activation_checkpointing = unsupported_function(
    "algorithms._checkpoint.checkpoint_wrapper.apply_activation_checkpointing", FEATURE, HINT)
