"""Fused Triton kernels with their numpy twins. Imports only triton, numpy and tritorch.cuda."""
from .matmul import matmul, matmul_backward, matmul_backward_reference, matmul_reference

__all__ = ["matmul", "matmul_backward", "matmul_backward_reference", "matmul_reference"]
