"""tritorch.linalg: PyTorch's torch.linalg.

The factorisations (inv, solve, det, slogdet, cholesky, eigh, svd, qr, pinv, lstsq, matrix_rank)
run numpy's LAPACK on the host: on the cuda device each call copies its input to the host and the
results back (no device kernels yet). Their gradients are tensor ops with PyTorch's formulas; the
norms, cross and multi_dot are tensor ops throughout.
"""
from .decompositions import eigh, eigvalsh, lstsq, matrix_rank, pinv, qr, svd, svdvals  # noqa: F401
from .norms import cross, matrix_norm, multi_dot, norm, vector_norm  # noqa: F401
from .solvers import cholesky, det, inv, slogdet, solve  # noqa: F401

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "solve", "det", "slogdet", "svd", "svdvals", "qr", "eigh",
           "eigvalsh", "cholesky", "pinv", "lstsq", "matrix_rank", "cross", "multi_dot"]
