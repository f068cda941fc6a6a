"""eigh, eigvalsh, svd, svdvals, qr, pinv, lstsq, matrix_rank: numpy's LAPACK on the host (a copy
there and back on cuda), gradients in tensor ops with PyTorch's formulas (well-conditioned inputs:
distinct eigen/singular values)."""
from collections import namedtuple

import numpy as np

import tritorch
from ..autograd.function import Function
from ._host import back, check_float, check_matrix, check_square, host, mT

_eigh_result = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
_svd_result = namedtuple("svd", ["U", "S", "Vh"])
_qr_result = namedtuple("qr", ["Q", "R"])
_lstsq_result = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])


def _gap(values):
    """E[i, j] = values[j] - values[i], with ones on the diagonal (the division leaves it alone)."""
    e = values.unsqueeze(-2) - values.unsqueeze(-1)
    eye = tritorch.eye(values.shape[-1], dtype=values.dtype, device=values.device)
    return e + eye


class Eigh(Function):
    @staticmethod
    def forward(ctx, A, uplo):
        w, v = np.linalg.eigh(host(A), UPLO=uplo)
        w, v = back(w, A), back(v, A)
        ctx.save_for_backward(w, v)
        ctx.set_materialize_grads(False)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        if gv is None:
            return v @ (gw.unsqueeze(-1) * mT(v)), None
        vhgv = mT(v) @ gv
        inner = 0.5 * (vhgv - mT(vhgv)) / _gap(w)
        eye = tritorch.eye(w.shape[-1], dtype=w.dtype, device=w.device)
        inner = inner * (1 - eye)
        if gw is not None:
            inner = inner + gw.unsqueeze(-1) * eye
        return v @ inner @ mT(v), None


def eigh(A, UPLO="L", *, out=None):
    """(eigenvalues ascending (*, n), eigenvectors (*, n, n) as columns) of symmetric A, read from
    its lower ('L') or upper ('U') triangle."""
    check_square("linalg.eigh", A)
    check_float("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return _eigh_result(*Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) of symmetric A; gradient V diag(g) V^T."""
    return eigh(A, UPLO).eigenvalues


class Svd(Function):
    @staticmethod
    def forward(ctx, A, full_matrices):
        u, s, vh = np.linalg.svd(host(A), full_matrices=full_matrices)
        u, s, vh = back(u, A), back(s, A), back(vh, A)
        ctx.save_for_backward(u, s, vh)
        ctx.full = full_matrices
        ctx.set_materialize_grads(False)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
        if ctx.full and (gu is not None or gvh is not None) and m != n:
            raise RuntimeError("torch.linalg.svd: The derivative of linalg.svd depends on the full U and Vh only "
                               "through its first k columns when full_matrices=True; use full_matrices=False")
        u, vh = u[..., :k], vh[..., :k, :]
        gu = None if gu is None else gu[..., :k]
        gvh = None if gvh is None else gvh[..., :k, :]
        if gu is None and gvh is None:
            return u @ (gs.unsqueeze(-1) * vh), None
        v = mT(vh)
        ga = 0
        if gu is not None:
            uhgu = mT(u) @ gu
            ga = (uhgu - mT(uhgu)) * s.unsqueeze(-2)
        if gvh is not None:
            gv = mT(gvh)
            vhgv = mT(v) @ gv
            ga = ga + s.unsqueeze(-1) * (vhgv - mT(vhgv))
        ga = ga / _gap(s * s)
        if gs is not None:
            ga = ga + gs.unsqueeze(-1) * tritorch.eye(k, dtype=s.dtype, device=s.device)
        if m > k and gu is not None:
            ga = u @ ga
            gu_sinv = gu / s.unsqueeze(-2)
            ga = (ga + gu_sinv - u @ (mT(u) @ gu_sinv)) @ vh
        elif n > k and gvh is not None:
            ga = ga @ vh
            gv_sinv = gv / s.unsqueeze(-2)
            ga = u @ (ga + mT(gv_sinv - v @ (mT(v) @ gv_sinv)))
        else:
            ga = u @ ga @ vh
        return ga, None


def svd(A, full_matrices=True, *, driver=None, out=None):
    """(U (*, m, m or k), S (*, k) descending, Vh (*, n or k, n)) with A = U diag(S) Vh, k = min(m, n).
    Gradients need full_matrices=False (or square A), as in PyTorch."""
    check_matrix("linalg.svd", A)
    check_float("linalg.svd", A)
    return _svd_result(*Svd.apply(A, full_matrices))


def svdvals(A, *, driver=None, out=None):
    """Singular values (*, k), descending; gradient U diag(g) Vh."""
    check_matrix("linalg.svdvals", A)
    check_float("linalg.svdvals", A)
    return Svd.apply(A, False)[1]


class Qr(Function):
    @staticmethod
    def forward(ctx, A, mode):
        q, r = np.linalg.qr(host(A), mode="complete" if mode == "complete" else "reduced")
        q, r = back(q, A), back(r, A)
        ctx.save_for_backward(q, r)
        ctx.mode = mode
        ctx.set_materialize_grads(False)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        if m < n:
            raise NotImplementedError("tritorch: the derivative of linalg.qr is implemented for m >= n only")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        gq = tritorch.zeros_like(q) if gq is None else gq
        gr = tritorch.zeros_like(r) if gr is None else gr
        M = r @ mT(gr) - mT(gq) @ q  # gA = (gQ + Q copyltu(M)) R^-T
        low = M.tril(-1)
        copyltu = low + mT(low) + M * tritorch.eye(n, dtype=M.dtype, device=M.device)
        b = gq + q @ copyltu
        from .solvers import inv
        return b @ mT(inv(r)), None


def qr(A, mode="reduced", *, out=None):
    """(Q, R) with A = Q R: mode 'reduced' (Q (*, m, k)), 'complete' (Q (*, m, m)) or 'r' (R only, Q empty)."""
    check_matrix("linalg.qr", A)
    check_float("linalg.qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    q, r = Qr.apply(A, mode)
    if mode == "r":
        q = tritorch.empty(0, dtype=A.dtype, device=A.device)
    return _qr_result(q, r)


def _cutoff(s, A, atol, rtol, hermitian=False):
    """max(atol, rtol * largest singular value) per matrix, with PyTorch's default rtol."""
    eps = float(np.finfo(A.dtype.np).eps)
    if rtol is None:
        rtol = eps * max(A.shape[-2:]) if atol is None or atol == 0 else 0.0
    smax = s.amax(-1, keepdim=True) if s.shape[-1] else s.new_zeros(tuple(s.shape[:-1]) + (1,))
    return (smax * rtol).clamp(min=float(atol or 0.0))


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None, rcond=None):
    """Moore-Penrose pseudo-inverse (*, n, m) of A (*, m, n) by SVD: singular values above
    max(atol, rtol * largest) are inverted, the rest dropped (default rtol = eps * max(m, n))."""
    check_matrix("linalg.pinv", A)
    check_float("linalg.pinv", A)
    if rcond is not None:
        rtol = rcond
    u, s, vh = Svd.apply(A, False)
    keep = s > _cutoff(s.detach(), A, atol, rtol)
    s_inv = tritorch.where(keep, 1.0 / tritorch.where(keep, s, tritorch.ones_like(s)), tritorch.zeros_like(s))
    return mT(vh) @ (s_inv.unsqueeze(-1) * mT(u))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None, tol=None):
    """Number of singular values above max(atol, rtol * largest) (int64, (*))."""
    check_matrix("linalg.matrix_rank", A)
    check_float("linalg.matrix_rank", A)
    if tol is not None:
        atol, rtol = tol, 0.0
    s = svdvals(A.detach())
    return (s > _cutoff(s, A, atol, rtol)).sum(-1)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of A X = B, A (*, m, n), B (*, m, k) or (m,): (solution (*, n, k),
    residuals, rank, singular_values) with PyTorch's per-driver fields on the CPU (default 'gelsy':
    rank only; 'gelsd'/'gelss': residuals when m > n and full rank, rank and singular values; 'gels':
    residuals). The solution is pinv(A) @ B, differentiable in A and B."""
    check_matrix("linalg.lstsq", A)
    check_float("linalg.lstsq", A)
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vector = B.dim() == 1
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    x = pinv(A, rtol=rcond) @ b
    m, n = A.shape[-2:]
    s = svdvals(A.detach())
    rank = (s > _cutoff(s, A, None, rcond)).sum(-1)
    empty = A.new_zeros((0,))
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        residuals = ((A @ x - b) ** 2).sum(-2)
    sv = s if driver in ("gelsd", "gelss") else empty
    rank = rank if driver != "gels" else tritorch.zeros(0, dtype=tritorch.int64, device=A.device)
    return _lstsq_result(x.squeeze(-1) if vector else x, residuals, rank, sv)
