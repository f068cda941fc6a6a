"""The torch.* / Tensor spellings of matrix functions whose home is tritorch.linalg: det, logdet,
slogdet, inverse, pinverse, cholesky, qr, svd (PyTorch's older U, S, V form), cross, trace."""
from collections import namedtuple

_svd_result = namedtuple("svd", ["U", "S", "V"])


def _linalg():
    from .. import linalg
    return linalg


def det(input):
    return _linalg().det(input)


def logdet(input):
    """log det A: NaN where det < 0, -inf where singular (as PyTorch)."""
    sign, logabs = _linalg().slogdet(input)
    from .elementwise import where
    nan, ninf = logabs.new_full((), float("nan")), logabs.new_full((), float("-inf"))
    return where(sign < 0, nan, where(sign == 0, ninf, logabs))


def slogdet(input):
    return _linalg().slogdet(input)


def inverse(input):
    return _linalg().inv(input)


def pinverse(input, rcond=1e-15):
    return _linalg().pinv(input, rtol=rcond)


def cholesky(input, upper=False):
    return _linalg().cholesky(input, upper=upper)


def qr(input, some=True):
    return _linalg().qr(input, "reduced" if some else "complete")


def svd(input, some=True, compute_uv=True):
    """Old torch.svd: (U, S, V) with V not transposed; some=True gives the reduced factors."""
    u, s, vh = _linalg().svd(input, full_matrices=not some)
    if not compute_uv:
        return _svd_result(u.new_zeros(u.shape), s, vh.new_zeros(vh.shape))
    return _svd_result(u, s, vh.transpose(-2, -1))


def cross(input, other, dim=None):
    """Cross product along dim (default: the first dim of size 3, as PyTorch's torch.cross)."""
    if dim is None:
        dim = next((i for i, n in enumerate(input.shape) if n == 3), -1)
    return _linalg().cross(input, other, dim=dim)


def trace(input):
    """Sum of the main diagonal of a 2-D tensor."""
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return input.diagonal().sum()
