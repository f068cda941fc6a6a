"""Fused Triton kernels with their numpy twins. Imports only triton, numpy and tritorch.cuda."""
from .matmul import matmul, matmul_backward, matmul_backward_reference, matmul_reference
from .softmax import log_softmax, softmax, softmax_backward, softmax_backward_reference, softmax_reference

__all__ = [
    "log_softmax", "matmul", "matmul_backward", "matmul_backward_reference", "matmul_reference", "softmax",
    "softmax_backward", "softmax_backward_reference", "softmax_reference",
]
