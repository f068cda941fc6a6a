"""The CPU backend: every primitive as vectorised numpy, on numpy arrays.

Arrays here are plain `numpy.ndarray`s (views keep numpy's strides, so views cost nothing);
dtypes arrive as numpy dtypes. float16 and bfloat16 are computed in float32 and rounded back,
as PyTorch's CPU kernels do for most ops.
"""
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .fused import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
