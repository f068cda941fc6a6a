"""torch.version: ``__version__`` (tritorch's), ``cuda`` and ``hip`` (None: tritorch is not built
against a CUDA toolkit; it drives the GPU through cuda-python at run time), ``git_version``."""
from . import __version__  # noqa: F401  (one source: tritorch.__version__)
cuda = None
hip = None
git_version = None
debug = False
