"""tritorch: PyTorch interface, Triton kernels, numpy CPU path."""
__version__ = "0.1.0"
