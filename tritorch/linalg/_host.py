"""Shared plumbing of torch.linalg: inputs checked as PyTorch checks them, numpy on the host.

On cuda every factorisation copies its input to the host, runs numpy's LAPACK, and copies the
results back (no device kernels yet); the gradients are tensor ops, so they run where the tensors are.
"""
import numpy as np

import tritorch
from .._dtype import SCALAR_TYPE_NAMES


def host(t):
    """The tensor's values as a numpy array on the host (float16/bfloat16 as float32)."""
    a = t.detach().cpu().numpy()
    return a.astype(np.float32) if a.dtype.itemsize < 4 and a.dtype.kind == "f" else a


def back(a, like, dtype=None):
    """A numpy result as a tensor on `like`'s device, in `like`'s (or the given) dtype."""
    dtype = like.dtype if dtype is None else dtype
    return tritorch.tensor(np.array(a, copy=True), dtype=dtype, device=like.device)


def check_float(name, A, what="A"):
    if A.dtype.is_complex:
        raise RuntimeError(f"{name}: complex matrices are not supported by tritorch.linalg (got "
                           f"{SCALAR_TYPE_NAMES[A.dtype.name]}); only float32/float64")
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{SCALAR_TYPE_NAMES.get(A.dtype.name, A.dtype.name)}")
    if A.dtype.name in ("float16", "bfloat16"):
        raise RuntimeError(f"\"{name.split('.')[-1]}_cpu\" not implemented for "
                           f"'{SCALAR_TYPE_NAMES[A.dtype.name]}'")


def check_matrix(name, A, what="A"):
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")


def check_square(name, A, what="A"):
    check_matrix(name, A, what)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: {what} must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def zero_pivot(a):
    """1-based index of the first zero pivot of an LU factorisation with partial pivoting of each
    matrix in a (..., n, n) batch (0 where none), as LAPACK's getrf reports singularity."""
    a = np.array(a, dtype=np.float64).reshape((-1,) + a.shape[-2:])
    found = []
    for m in a:
        m, n, hit = m.copy(), m.shape[0], 0
        for k in range(n):
            p = k + int(np.argmax(np.abs(m[k:, k])))
            if m[p, k] == 0:
                hit = k + 1
                break
            m[[k, p]] = m[[p, k]]
            m[k + 1:, k:] -= np.outer(m[k + 1:, k] / m[k, k], m[k, k:])
        found.append(hit)
    return found


def raise_singular(name, a, batched):
    for i, k in enumerate(zero_pivot(a)):
        if k:
            where = f"(Batch element {i}): " if batched else ""
            raise RuntimeError(f"{name}: {where}The diagonal element {k} is zero, the inversion could not be "
                               "completed because the input matrix is singular.")


def mT(t):
    return t.transpose(-2, -1)
