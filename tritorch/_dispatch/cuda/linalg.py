"""Matrix products: `kernels.matmul` (float32 IEEE, float16, bfloat16; fp32 accumulation) and
`kernels.matmul_exact` (float64, integers, bool). einsum is permutes, sums and one batched
matmul per pair of operands."""
import numpy as np

from tritorch._global_settings import float32_matmul_dot_precision
from tritorch.cuda import DeviceArray, as_dtype
from tritorch.kernels.matmul import matmul as _matmul
from tritorch.kernels.matmul_exact import matmul_exact
from tritorch.kernels.reduce import reduce as _reduce

__all__ = ["matmul", "einsum"]

_TL_DOT = (np.dtype(np.float32), np.dtype(np.float16), as_dtype("bfloat16"))


def matmul(a, b):
    """numpy matmul rules (PyTorch's): 1-d promoted and squeezed, batch dims broadcast."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    out = _matmul(a2, b2, precision=float32_matmul_dot_precision()) if a.dtype in _TL_DOT else matmul_exact(a2, b2)
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


def _sum_out(x, term, keep):
    """Sum x (subscripts `term`) over the letters not in `keep`; returns (x, its new term)."""
    axes = tuple(i for i, c in enumerate(term) if c not in keep)
    if not axes:
        return x, term
    return _reduce("sum", x, axes, x.dtype), "".join(c for c in term if c in keep)


def _diagonal(x, term):
    """Take the diagonal of repeated letters in one operand ('ii' -> 'i'), as a strided view."""
    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        i, j = term.index(c), term.index(c, term.index(c) + 1)
        shape = [n for d, n in enumerate(x.shape) if d != j]
        strides = [s + (x.strides[j] if d == i else 0) for d, s in enumerate(x.strides) if d != j]
        x, term = DeviceArray(x.storage, shape, x.dtype, strides, x.offset), term[:j] + term[j + 1:]
    return x, term


def _contract(a, ta, b, tb, keep):
    """einsum of two operands to the letters in `keep` (an ordered string), via one batched matmul."""
    batch = [c for c in ta if c in tb and c in keep]
    summed = [c for c in ta if c in tb and c not in keep]
    left = [c for c in ta if c not in tb]
    right = [c for c in tb if c not in ta]
    size = {**dict(zip(ta, a.shape)), **dict(zip(tb, b.shape))}
    a = a.permute([ta.index(c) for c in batch + left + summed])
    b = b.permute([tb.index(c) for c in batch + summed + right])
    n = lambda letters: int(np.prod([size[c] for c in letters], dtype=np.int64))  # noqa: E731
    a = _reshape(a, [size[c] for c in batch] + [n(left), n(summed)])
    b = _reshape(b, [size[c] for c in batch] + [n(summed), n(right)])
    out = matmul(a, b).reshape([size[c] for c in batch + left + right])
    return out, "".join(batch + left + right)


def _reshape(x, shape):
    try:
        return x.reshape(shape)
    except ValueError:
        return x.contiguous().reshape(shape)


def einsum(equation, *operands):
    """Explicit-output einsum ('ij,jk->ik'); float16/bfloat16 products accumulate in float32."""
    lhs, out_term = equation.split("->")
    terms = lhs.split(",")
    xs = []
    for k, (x, t) in enumerate(zip(operands, terms)):
        x, t = _diagonal(x, t)
        xs.append(_sum_out(x, t, set(out_term).union(*[set(u) for u in terms[:k] + terms[k + 1:]])))
    x, t = xs[0]
    for i, (y, u) in enumerate(xs[1:], 1):
        needed = set(out_term).union(*[set(v) for _, v in xs[i + 1:]])
        keep = "".join(c for c in dict.fromkeys(t + u) if c in needed)
        x, t = _contract(x, t, y, u, keep)
    x, t = _sum_out(x, t, set(out_term))
    return x.permute([t.index(c) for c in out_term]).contiguous() if out_term else x
