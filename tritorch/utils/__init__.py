"""tritorch.utils: `tritorch.utils.data` (datasets, samplers, DataLoader)."""
from . import data  # noqa: F401  (torch.utils.data is available after `import torch.utils`)
from . import _pytree, checkpoint  # noqa: F401,E402  (torch.utils.checkpoint.checkpoint after `import torch`)
