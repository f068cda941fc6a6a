"""tritorch.nn.functional: PyTorch's functional API. Each family lives in its own file; this
module only re-exports them."""
from .activation import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .misc import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .attention import _canonical_mask, _none_or_dtype  # noqa: F401
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .embedding_bag import *  # noqa: F401,F403
from .conv3d import *  # noqa: F401,F403
from .pooling_extra import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
