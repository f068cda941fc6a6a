"""torch.distributed.tensor.device_mesh: device meshes are not implemented in tritorch."""
from .._unsupported import message, unsupported_class

FEATURE = "DeviceMesh (n-dimensional process layouts for tensor/FSDP parallelism)"

DeviceMesh = unsupported_class("device_mesh.DeviceMesh", FEATURE)


def init_device_mesh(device_type, mesh_shape, *, mesh_dim_names=None):
    """Not implemented: raises NotImplementedError."""
    raise NotImplementedError(message("device_mesh.init_device_mesh", FEATURE))
