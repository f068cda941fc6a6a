"""The cuda backend: every primitive of the CPU backend, on `tritorch.cuda.DeviceArray`s, through
the Triton kernels of `tritorch.kernels`.

Arrays are DeviceArrays (numpy dtypes, strides in elements, views share storage); dtypes arrive
as numpy dtypes, as on the CPU. No primitive copies device data to the host except `to_numpy`
and the ops whose result size depends on the data (`nonzero`, boolean-mask indexing, `unique`),
which read one count, as PyTorch does. Known gap: `unique(dim=int)` runs on the host.
"""
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403


class NotOnCuda(RuntimeError, AttributeError):
    """A primitive the CPU backend has and this one does not have yet. Also an AttributeError,
    so `hasattr(backend, name)` and `getattr(backend, name, default)` see it as absent."""


def __getattr__(name):
    from .. import cpu
    if not name.startswith("_") and callable(getattr(cpu, name, None)):
        raise NotOnCuda(f"{name} is not supported on cuda yet")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
