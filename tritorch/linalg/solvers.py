"""inv, solve, det, slogdet, cholesky: numpy forward on the host, gradients in tensor ops."""
import numpy as np

from ..autograd.function import Function
from ._host import back, check_float, check_square, host, mT, raise_singular


class Inv(Function):
    """A^-1; grad_A = -A^-T G A^-T."""

    @staticmethod
    def forward(ctx, A):
        a = host(A)
        try:
            out = back(np.linalg.inv(a), A)
        except np.linalg.LinAlgError:
            raise_singular("linalg.inv", a, A.dim() > 2)
            raise
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        inv_a, = ctx.saved_tensors
        return -(mT(inv_a) @ g @ mT(inv_a))


def inv(A, *, out=None):
    """Inverse of each square matrix in A (*, n, n). Raises (naming the zero pivot) when singular.
    On cuda: computed on the host (copy, numpy, copy back)."""
    check_square("linalg.inv", A)
    check_float("linalg.inv", A)
    return Inv.apply(A)


def _vector_rhs(A, B):
    """PyTorch's rule: B is a batch of vectors when B.ndim == 1 or B.shape == A.shape[:-1]."""
    return B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A, B, *, left=True, out=None):
    """X with A X = B (left=True) or X A = B; A (*, n, n), B (*, n, k) or a (batch of) vector(s) (*, n).
    Composed as inv(A) @ B, so it is differentiable in A and B. On cuda: through the host."""
    check_square("linalg.solve", A)
    check_float("linalg.solve", A)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{A.dtype.name.capitalize()} and B of type {B.dtype.name.capitalize()} instead")
    if not left:
        return mT(solve(mT(A), mT(B)))
    if _vector_rhs(A, B):
        if B.shape[-1] != A.shape[-1]:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                               f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-1]}x1)")
        return (Inv.apply(A) @ B.unsqueeze(-1)).squeeze(-1)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    return Inv.apply(A) @ B


class SlogDet(Function):
    """(sign, log|det A|); grad_A = g_logabsdet * A^-T (sign has no gradient)."""

    @staticmethod
    def forward(ctx, A):
        sign, logabs = np.linalg.slogdet(host(A))
        ctx.save_for_backward(A)
        s, la = back(sign, A), back(logabs, A)
        ctx.mark_non_differentiable(s)
        return s, la

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        A, = ctx.saved_tensors
        return g_logabs.unsqueeze(-1).unsqueeze(-1) * mT(inv(A))


def slogdet(A, *, out=None):
    """(sign, logabsdet) of each square matrix in A (*, n, n); sign 0 and logabsdet -inf when singular."""
    check_square("linalg.slogdet", A)
    check_float("linalg.slogdet", A)
    from collections import namedtuple
    return namedtuple("slogdet", ["sign", "logabsdet"])(*SlogDet.apply(A))


class Det(Function):
    """det A; grad_A = g det(A) A^-T (well-conditioned A)."""

    @staticmethod
    def forward(ctx, A):
        out = back(np.linalg.det(host(A)), A)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        return (g * d).unsqueeze(-1).unsqueeze(-1) * mT(inv(A))


def det(A, *, out=None):
    """Determinant of each square matrix in A (*, n, n) -> (*)."""
    check_square("linalg.det", A)
    check_float("linalg.det", A)
    return Det.apply(A)


class Cholesky(Function):
    """Lower factor L of A = L L^T; grad_A = sym(L^-T Phi(L^T gL) L^-1) / 2 with Phi taking the lower
    triangle and halving the diagonal (Murray, 2016), as PyTorch."""

    @staticmethod
    def forward(ctx, A):
        a = host(A)
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise RuntimeError(_not_pd(a, A.dim() > 2)) from None
        out = back(low, A)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        L, = ctx.saved_tensors
        phi = (mT(L) @ g).tril()
        phi = phi - 0.5 * phi * _eye_like(phi)
        l_inv = inv(L)
        ga = mT(l_inv) @ phi @ l_inv
        return 0.5 * (ga + mT(ga))


def _eye_like(t):
    import tritorch
    return tritorch.eye(t.shape[-1], dtype=t.dtype, device=t.device)


def _not_pd(a, batched):
    """PyTorch's message: the order of the first leading minor that is not positive-definite."""
    mats = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(mats):
        for k in range(1, m.shape[0] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                where = f"(Batch element {i}): " if batched else ""
                return (f"linalg.cholesky: {where}The factorization could not be completed because the input is not "
                        f"positive-definite (the leading minor of order {k} is not positive-definite).")
    return "linalg.cholesky: The factorization could not be completed because the input is not positive-definite."


def cholesky(A, *, upper=False, out=None):
    """Cholesky factor of each symmetric positive-definite matrix in A (*, n, n): lower L (A = L L^T),
    or upper U = L^T with upper=True. Only A's lower triangle is read, as LAPACK does; the gradient is
    the symmetric one, as PyTorch's."""
    check_square("linalg.cholesky", A)
    check_float("linalg.cholesky", A)
    low = Cholesky.apply(A)
    return mT(low) if upper else low
