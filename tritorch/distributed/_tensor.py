"""torch.distributed._tensor: the old path of torch.distributed.tensor (DTensor), not implemented in tritorch."""
from .tensor import DeviceMesh, DTensor, Partial, Placement, Replicate, Shard, distribute_tensor  # noqa: F401
from .tensor import distribute_module, init_device_mesh  # noqa: F401
