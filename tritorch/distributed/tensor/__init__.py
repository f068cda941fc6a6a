"""torch.distributed.tensor: DTensor and device meshes are not implemented in tritorch. The names exist;
building a DTensor, a placement or a mesh raises NotImplementedError saying so."""
from .._unsupported import unsupported_class, unsupported_function
from .device_mesh import DeviceMesh, init_device_mesh  # noqa: F401

FEATURE = "DTensor (tensors sharded or replicated over a device mesh)"

DTensor = unsupported_class("tensor.DTensor", FEATURE)
Shard = unsupported_class("tensor.Shard", FEATURE)
Replicate = unsupported_class("tensor.Replicate", FEATURE)
Partial = unsupported_class("tensor.Partial", FEATURE)
Placement = unsupported_class("tensor.Placement", FEATURE)
distribute_tensor = unsupported_function("tensor.distribute_tensor", FEATURE)
distribute_module = unsupported_function("tensor.distribute_module", FEATURE)
