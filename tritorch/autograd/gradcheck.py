"""gradcheck: compare analytical gradients with central finite differences (float64 / complex128).

Complex inputs and outputs follow PyTorch's convention: the outputs are reduced to the real scalar
L = Re(sum(output * w)) with fixed random (complex) weights w, and the gradient of a complex input is
compared with dL/d(real part) + i dL/d(imaginary part) from finite differences."""
import numpy as np


class GradcheckError(RuntimeError):
    pass


def _numerical(fn, inputs, i, eps):
    """d(sum of outputs * v)/d(inputs[i]) column by column, for a fixed random projection v."""
    x = inputs[i]
    flat = x.detach().numpy().reshape(-1)
    jac = []
    for k in range(flat.size):
        orig = flat[k]
        row = None
        for unit in ((1, 1j) if np.iscomplexobj(flat) else (1,)):
            flat[k] = orig + eps * unit
            plus = fn()
            flat[k] = orig - eps * unit
            minus = fn()
            flat[k] = orig
            part = [unit * (p - m) / (2 * eps) for p, m in zip(plus, minus)]
            row = part if row is None else [a + b for a, b in zip(row, part)]
        jac.append(row)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, fast_mode=False):
    """True when the gradients of func at `inputs` match finite differences.

    Every output is reduced with a fixed random weighting, and the gradient of that scalar
    with respect to each input that requires grad is compared elementwise with central
    differences. Inputs must be float64 for the comparison to be meaningful."""
    from ..tensor import Tensor
    from .engine import grad
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    for i in diff:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. "
                          "gradcheck may fail", stacklevel=2)
    outs = func(*inputs)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    outs = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(tuple(o.shape)) + (1j * rng.standard_normal(tuple(o.shape)) if o.dtype.is_complex
                                                      else 0) for o in outs]

    def weighted():
        res = func(*inputs)  # grad stays enabled: func may itself differentiate (gradgradcheck)
        res = res if isinstance(res, (tuple, list)) else (res,)
        res = [r for r in res if isinstance(r, Tensor) and r.dtype._inexact]
        return [float(np.real((r.detach().numpy().astype(np.complex128 if r.dtype.is_complex else np.float64) * w
                               ).sum())) for r, w in zip(res, weights)]

    from .._ops import tensor as _tensor
    total = None
    for o, w in zip(outs, weights):
        term = o * _tensor(w, dtype=o.dtype)
        term = (term.real if term.dtype.is_complex else term).sum()
        total = term if total is None else total + term
    if total is None:
        raise GradcheckError("gradcheck expects at least one output that requires grad")
    analytical = grad(total, [inputs[i] for i in diff], allow_unused=True)
    for a, i in zip(analytical, diff):
        num = np.array(_numerical(weighted, inputs, i, eps)).sum(axis=1).reshape(tuple(inputs[i].shape))
        ana = np.zeros(num.shape) if a is None else a.detach().numpy().astype(
            np.complex128 if a.dtype.is_complex else np.float64)
        if not np.allclose(ana, num, rtol=rtol, atol=atol):
            msg = (f"Jacobian mismatch for output 0 with respect to input {i},\nnumerical:{num}\n"
                   f"analytical:{ana}\n")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """gradcheck of the first derivative (checks create_graph=True backward formulas)."""
    from ..tensor import Tensor
    from .engine import grad
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]

    def first_grad(*xs):
        out = func(*xs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        total = sum((o * o).sum() for o in outs)
        return grad(total, [x for x in xs if isinstance(x, Tensor) and x.requires_grad], create_graph=True)
    return gradcheck(first_grad, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception) \
        if diff else True
