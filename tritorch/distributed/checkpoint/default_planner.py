"""torch.distributed.checkpoint.default_planner: not implemented in tritorch (constructing a planner raises)."""
from . import FEATURE, HINT
from .._unsupported import unsupported_class

DefaultSavePlanner = unsupported_class("checkpoint.default_planner.DefaultSavePlanner", FEATURE, HINT)
DefaultLoadPlanner = unsupported_class("checkpoint.default_planner.DefaultLoadPlanner", FEATURE, HINT)
