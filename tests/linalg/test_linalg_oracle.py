"""Oracle: tritorch.linalg against torch.linalg (values, gradients, error messages), float64 for the
gradient checks and float32 for values; a few on the emulated cuda device (through the host)."""
import math

import numpy as np
import pytest

import tritorch

torch = pytest.importorskip("torch")


def _spd(rng, n, batch=()):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _compare(fn_ours, fn_theirs, arrays, rng, device="cpu", tol=1e-9, grad=True):
    """Same outputs; then the gradient of sum(random weights * output) for every float input."""
    xs = [tritorch.tensor(a, device=device, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ys = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    outs, outs_t = fn_ours(*xs), fn_theirs(*ys)
    if not isinstance(outs, tuple):
        outs, outs_t = (outs,), (outs_t,)
    loss, loss_t = 0, 0
    for o, t in zip(outs, outs_t):
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.detach().cpu().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
        if t.dtype.is_floating_point and t.requires_grad:
            w = rng.standard_normal(tuple(t.shape))
            loss = loss + (o * tritorch.tensor(w, device=device)).sum()
            loss_t = loss_t + (t * torch.tensor(w)).sum()
    if grad and not isinstance(loss, int):
        loss.backward()
        loss_t.backward()
        for x, y in zip(xs, ys):
            if y.grad is not None:
                np.testing.assert_allclose(x.grad.cpu().numpy(), y.grad.numpy(), rtol=tol * 100, atol=tol * 100)


L = tritorch.linalg
TL = torch.linalg


def test_inv_solve_det_slogdet(rng):
    a = rng.standard_normal((2, 4, 4)) + 4 * np.eye(4)
    b = rng.standard_normal((2, 4, 3))
    _compare(L.inv, TL.inv, [a], rng)
    _compare(L.solve, TL.solve, [a, b], rng)
    _compare(lambda x, y: L.solve(x, y, left=False), lambda x, y: TL.solve(x, y, left=False),
             [a, rng.standard_normal((2, 3, 4))], rng)
    _compare(L.solve, TL.solve, [a[0], rng.standard_normal(4)], rng)
    _compare(L.det, TL.det, [a], rng)
    _compare(lambda x: tuple(L.slogdet(x)), lambda x: tuple(TL.slogdet(x)), [a - 3 * np.eye(4)], rng)
    _compare(tritorch.logdet, torch.logdet, [_spd(rng, 3)], rng)


def test_cholesky_eigh_svd_qr(rng):
    s = _spd(rng, 4, (2,))
    _compare(L.cholesky, TL.cholesky, [s], rng)
    _compare(lambda x: L.cholesky(x, upper=True), lambda x: TL.cholesky(x, upper=True), [s[0]], rng)
    c = rng.standard_normal(4)  # eigenvectors are unique up to sign: compare V diag(c) V^T
    h = lambda lib, tensor: (lambda x: (lambda w, v: (w, v @ (tensor(c).unsqueeze(-1) * v.mT)))(  # noqa: E731
        *lib.eigh(x)))
    _compare(h(L, tritorch.tensor), h(TL, torch.tensor), [s], rng, tol=1e-8)
    _compare(lambda x: L.eigh(x, "U").eigenvalues, lambda x: TL.eigh(x, "U").eigenvalues, [s], rng, tol=1e-8)
    _compare(L.eigvalsh, TL.eigvalsh, [s], rng)
    for shape in ((5, 3), (3, 5), (2, 4, 4)):
        a = rng.standard_normal(shape)
        _compare(L.svdvals, TL.svdvals, [a], rng)
        # singular vectors are unique up to sign: compare a sign-invariant function of them
        f = lambda lib: (lambda x: (lambda u, s, vh: (u @ (s.unsqueeze(-1) * vh), (u * u).sum(), s))(
            *lib.svd(x, full_matrices=False)))  # noqa: E731
        _compare(f(L), f(TL), [a], rng, tol=1e-8)
        g = lambda lib: (lambda x: (lambda u, s, vh: ((u[..., :1] * vh[..., :1, :]) ** 2).sum((-2, -1)))(
            *lib.svd(x, full_matrices=False)))  # noqa: E731
        _compare(g(L), g(TL), [a], rng, tol=1e-8)
    for shape in ((5, 3), (4, 4)):
        a = rng.standard_normal(shape)
        _compare(lambda x: tuple(L.qr(x)), lambda x: tuple(TL.qr(x)), [a], rng, tol=1e-8)
    assert tuple(L.qr(tritorch.tensor(a), mode="complete").Q.shape) == (4, 4)


def test_pinv_lstsq_rank(rng):
    for shape in ((5, 3), (3, 5)):
        _compare(L.pinv, TL.pinv, [rng.standard_normal(shape)], rng, tol=1e-8)
    a, b = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    for driver in (None, "gelsd", "gels"):
        ours, theirs = L.lstsq(tritorch.tensor(a), tritorch.tensor(b), driver=driver), TL.lstsq(
            torch.tensor(a), torch.tensor(b), driver=driver)
        for o, t in zip(ours, theirs):
            assert tuple(o.shape) == tuple(t.shape)
            np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-9, atol=1e-9)
    _compare(lambda x, y: L.lstsq(x, y).solution, lambda x, y: TL.lstsq(x, y).solution, [a, b], rng, tol=1e-8)
    low = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 4))
    for m in (low, np.eye(3), np.zeros((2, 3)), rng.standard_normal((2, 3, 3))):
        assert np.array_equal(L.matrix_rank(tritorch.tensor(m)).numpy(), TL.matrix_rank(torch.tensor(m)).numpy())


@pytest.mark.parametrize("ord,dim", [(None, None), (2, None), (1, 0), (math.inf, 1), (-math.inf, None), (0, None),
                                     (3.5, 1), ("fro", None), ("nuc", None), (2, (0, 1)), (-2, (0, 1)),
                                     (math.inf, (1, 0)), (1, (0, 1)), (-1, (0, 1))], ids=str)
def test_norms(ord, dim, rng):
    a = rng.standard_normal((3, 4))
    a[0, 1] = 0.0
    if dim is None and ord in (2, math.inf, -math.inf, 0, 1):
        a = a[0]
    _compare(lambda x: L.norm(x, ord, dim), lambda x: TL.norm(x, ord, dim), [a], rng)
    _compare(lambda x: L.norm(x, ord, dim, keepdim=True), lambda x: TL.norm(x, ord, dim, keepdim=True), [a], rng)
    if not isinstance(ord, str) and not isinstance(dim, tuple):
        _compare(lambda x: L.vector_norm(x, 2 if ord is None else ord, dim),
                 lambda x: TL.vector_norm(x, 2 if ord is None else ord, dim), [a], rng)
    if isinstance(dim, tuple) or isinstance(ord, str):
        _compare(lambda x: L.matrix_norm(x, "fro" if ord is None else ord),
                 lambda x: TL.matrix_norm(x, "fro" if ord is None else ord), [rng.standard_normal((2, 3, 4))], rng)


def test_cross_multi_dot_trace(rng):
    _compare(L.cross, TL.cross, [rng.standard_normal((4, 3)), rng.standard_normal((1, 3))], rng)
    _compare(lambda *t: L.multi_dot(list(t)), lambda *t: TL.multi_dot(list(t)),
             [rng.standard_normal(3), rng.standard_normal((3, 4)), rng.standard_normal((4, 2)),
              rng.standard_normal(2)], rng)
    _compare(tritorch.trace, torch.trace, [rng.standard_normal((3, 4))], rng)


@pytest.mark.parametrize("fn", ["inv", "det", "cholesky", "svdvals", "pinv"])
def test_on_cuda_through_the_host(fn, rng):
    a = _spd(rng, 3, (2,)).astype(np.float32)
    _compare(getattr(L, fn), getattr(TL, fn), [a], rng, device="cuda", tol=1e-4)


def test_errors_match_torch():
    cases = [("inv", [[1.0, 2.0], [2.0, 4.0]]), ("inv", [[1.0, 2.0, 3.0]]), ("inv", [[1, 2], [3, 4]]),
             ("cholesky", [[1.0, 2.0], [2.0, 1.0]]), ("det", [1.0, 2.0])]
    for name, value in cases:
        with pytest.raises(RuntimeError) as ours:
            getattr(L, name)(tritorch.tensor(value))
        with pytest.raises(RuntimeError) as theirs:
            getattr(TL, name)(torch.tensor(value))
        assert str(ours.value) == str(theirs.value).split("\n")[0], name
