"""torch.distributed.device_mesh: device meshes are not implemented in tritorch (constructing one raises)."""
from .tensor.device_mesh import DeviceMesh, init_device_mesh  # noqa: F401
