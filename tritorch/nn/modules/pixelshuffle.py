"""PyTorch's module path torch.nn.modules.pixelshuffle: the classes live in upsampling.py here."""
from .upsampling import PixelShuffle, PixelUnshuffle  # noqa: F401
