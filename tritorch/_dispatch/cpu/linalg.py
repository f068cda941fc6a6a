"""Matrix products. float16/bfloat16 accumulate in float32."""
import ml_dtypes
import numpy as np

__all__ = ["matmul", "einsum"]

_LOW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))


def matmul(a, b):
    """numpy matmul rules (PyTorch's): 1-d promoted and squeezed, batch dims broadcast."""
    if a.dtype in _LOW:
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
    return np.matmul(a, b)


def einsum(equation, *operands):
    dtype = operands[0].dtype
    if dtype in _LOW:
        return np.einsum(equation, *[o.astype(np.float32) for o in operands], optimize=True).astype(dtype)
    return np.asarray(np.einsum(equation, *operands, optimize=True))
