"""tritorch.nn: PyTorch's neural-network library (Module, layers, functional, init, losses),
written on tritorch Tensor ops so it runs on every device the backends provide."""
from .parameter import Buffer, Parameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from . import functional, init, parallel, utils  # noqa: F401
import importlib as _importlib  # noqa: E402
attention = _importlib.import_module(f"{__name__}.attention")  # the star import bound nn.modules.attention here
