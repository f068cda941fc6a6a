"""complex64/complex128 without an oracle: promotion, printing, views sharing memory, PyTorch's
refusals, and gradients checked by finite differences (PyTorch's convention: for a real loss L of
z = x + iy, z.grad = dL/dx + i dL/dy)."""
import io
import warnings

import numpy as np
import pytest

import tritorch as T


def _c(rng, *shape, dtype=np.complex128):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def test_dtypes():
    assert T.cfloat is T.complex64 and T.cdouble is T.complex128
    assert T.complex64.is_complex and not T.complex64.is_floating_point and T.complex64.itemsize == 8
    assert T.complex64.to_real() is T.float32 and T.complex128.to_real() is T.float64
    assert T.float32.to_real() is T.float32 and T.float64.to_complex() is T.complex128
    z = T.tensor([1 + 2j])
    assert z.dtype is T.complex64 and z.is_complex() and T.is_complex(z) and not z.is_floating_point()
    assert not T.ones(2).is_complex()
    assert T.tensor(np.zeros(2, np.complex128)).dtype is T.complex128


@pytest.mark.parametrize("a, b, expected", [
    ((2,), 1j, "complex64"), (("float64", 2), 1j, "complex128"), (("int32", 2), 1j, "complex64"),
    (("bool", 2), 1j, "complex64"), (("float64", 2), ("complex64", 2), "complex128"),
    (("float32", 2), ("complex128", ()), "complex64"),     # a 0-d complex keeps the float's precision
    (("int64", 2), ("complex128", ()), "complex128"), (("complex64", 2), ("float64", ()), "complex64"),
    (("bfloat16", 2), 1j, "complex64"), (("float16", 2), ("complex64", 2), "complex64"),
])
def test_promotion(a, b, expected):
    def make(spec):
        if not isinstance(spec, tuple):
            return spec
        if len(spec) == 1:
            return T.ones(spec)
        return T.ones(spec[1], dtype=getattr(T, spec[0]))
    x, y = make(a), make(b)
    assert (x + y).dtype is getattr(T, expected)
    assert T.result_type(x, y) is getattr(T, expected)


def test_float16_with_a_complex_scalar_raises_for_want_of_complex32():
    with pytest.raises(RuntimeError, match="Half"):
        T.ones(2, dtype=T.float16) * 1j
    assert T.promote_types(T.float64, T.complex64) is T.complex128
    assert not T.can_cast(T.complex64, T.float64) and T.can_cast(T.float64, T.complex64)


def test_repr():
    # PyTorch 2.13's output for the same tensors
    assert repr(T.tensor([1 + 2j, 3 - 4j])) == "tensor([1.+2.j, 3.-4.j])"
    assert repr(T.tensor([[1.5 + 2j, 3 - 4.25j], [0, 1e-5j]])) == (
        "tensor([[1.5000+2.0000e+00j, 3.0000-4.2500e+00j],\n        [0.0000+0.0000e+00j, 0.0000+1.0000e-05j]])")
    assert repr(T.tensor([1e10 + 2j, 3 - 4j])) == "tensor([1.0000e+10+2.j, 3.0000e+00-4.j])"
    assert repr(T.tensor(1 + 2j)) == "tensor(1.+2.j)"
    assert repr(T.tensor([1 + 2j], dtype=T.complex128)) == "tensor([1.+2.j], dtype=tritorch.complex128)"


def test_real_imag_are_views():
    z = T.tensor([1 + 2j, 3 - 4j])
    assert z.real.dtype is T.float32 and z.real.tolist() == [1, 3] and z.imag.tolist() == [2, -4]
    z.real[0] = 7
    z.imag[1] = 5
    assert z.tolist() == [7 + 2j, 3 + 5j]
    assert T.ones(2).real.tolist() == [1, 1]
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
        T.ones(2).imag


def test_view_as_real_and_complex_round_trip(rng):
    a = _c(rng, 3, 4, dtype=np.complex64)
    z = T.tensor(a)
    r = T.view_as_real(z.t())          # a strided complex view: still a view
    assert tuple(r.shape) == (4, 3, 2) and r.dtype is T.float32
    np.testing.assert_array_equal(r.numpy()[..., 0], a.T.real)
    back = T.view_as_complex(T.view_as_real(z))
    np.testing.assert_array_equal(back.numpy(), a)
    T.view_as_real(z)[0, 0, 1] = 9.0
    assert z[0, 0].item().imag == 9.0


def test_conj_angle_abs_polar_complex():
    z = T.tensor([3 + 4j, -1j, 0j])
    assert z.conj().tolist() == [3 - 4j, 1j, 0j] and not z.conj().is_conj() and z.resolve_conj() is z
    assert z.abs().dtype is T.float32 and z.abs().tolist() == [5, 1, 0]
    np.testing.assert_allclose(z.angle().numpy(), [np.arctan2(4, 3), -np.pi / 2, 0], rtol=1e-6)
    np.testing.assert_allclose(T.tensor([2.0, -3.0, float("nan")]).angle().numpy(), [0, np.pi, np.nan])
    assert z.sgn().tolist() == pytest.approx([0.6 + 0.8j, -1j, 0j])
    c = T.complex(T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0]))
    assert c.dtype is T.complex64 and c.tolist() == [1 + 3j, 2 + 4j]
    p = T.polar(T.tensor([2.0], dtype=T.float64), T.tensor([np.pi / 2], dtype=T.float64))
    assert p.dtype is T.complex128 and abs(p.item() - 2j) < 1e-15


def test_arithmetic_matches_numpy(rng):
    a, b = _c(rng, 3, 4), _c(rng, 4)
    x, y = T.tensor(a), T.tensor(b)
    for ours, ref in [(x + y, a + b), (x - y, a - b), (x * y, a * b), (x / y, a / b), (x ** y, a ** b),
                      (-x, -a), (x.exp(), np.exp(a)), (x.log(), np.log(a)), (x.sqrt(), np.sqrt(a)),
                      (x.sin(), np.sin(a)), (x.cos(), np.cos(a)), (x.tanh(), np.tanh(a)), (x.reciprocal(), 1 / a),
                      (x.sigmoid(), 1 / (1 + np.exp(-a))), (x @ x.t(), a @ a.T), (x.sum(1), a.sum(1)),
                      (x.mean(0), a.mean(0)), (x.prod(1), a.prod(1)), (x * 2.5, a * 2.5), (1j / x, 1j / a)]:
        assert ours.dtype is T.complex128
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12)
    assert (x == x).all() and not (x != x).any()


@pytest.mark.parametrize("call, exc, msg", [
    (lambda z: z < z, NotImplementedError, "\"lt_cpu\" not implemented for 'ComplexFloat'"),
    (lambda z: z.max(), NotImplementedError, "max_all"),
    (lambda z: z.argmax(), RuntimeError, "argmax\\(\\): does not support complex input"),
    (lambda z: T.maximum(z, z), RuntimeError, "maximum not implemented for complex tensors."),
    (lambda z: z.relu(), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: z.clamp(0, 1), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: z.floor(), NotImplementedError, "floor is not supported for complex inputs"),
    (lambda z: z.sign(), NotImplementedError, "torch.sgn"),
    (lambda z: z.sort(), RuntimeError, "Sort does not support complex"),
    (lambda z: z.topk(1), RuntimeError, "topk does not support complex"),
    (lambda z: z.median(), NotImplementedError, "median_cpu"),
    (lambda z: z // 2, NotImplementedError, "div_floor_cpu"),
    (lambda z: z.clone().abs_(), RuntimeError, "In-place abs is not supported for complex tensors."),
    (lambda z: T.zeros(2).fill_(1j), RuntimeError, "value cannot be converted to type float without overflow"),
    (lambda z: T.zeros(2).__setitem__(0, 1j), RuntimeError, "value cannot be converted to type float"),
    (lambda z: T.zeros(2).add_(z), RuntimeError, "result type ComplexFloat can't be cast to the desired output type"),
    (lambda z: float(z[0]), RuntimeError, "value cannot be converted to type double without overflow"),
    (lambda z: (z * 2).sum().backward(), RuntimeError, "element 0 of tensors does not require grad"),
])
def test_refusals(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(T.tensor([1 + 2j, 3 - 4j]))


def test_casts_to_real_warn_and_keep_the_real_part():
    z = T.tensor([1 + 2j, 0 + 1j])
    with pytest.warns(UserWarning, match="Casting complex values to real discards the imaginary part"):
        assert z.float().tolist() == [1.0, 0.0]
    assert z.bool().tolist() == [True, True]     # nonzero: the imaginary part counts
    x = T.zeros(2)
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        x.copy_(z)
    assert x.tolist() == [1.0, 0.0]
    assert complex(z[1]) == 1j


def test_implicit_grad_needs_a_real_scalar():
    z = T.tensor([1 + 2j], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar outputs but got"):
        (z * 2).sum().backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (T.tensor([1j, 2j], requires_grad=True) * 2).backward()


def _numeric_grad(f, arrays, i, eps=1e-6):
    """dL/dx + i dL/dy of the real loss f(*arrays) for arrays[i] (complex) or dL/dx (real)."""
    a = arrays[i]
    g = np.zeros(a.shape, dtype=a.dtype)
    for idx in np.ndindex(a.shape):
        for unit in ((1, 1j) if np.iscomplexobj(a) else (1,)):
            hi, lo = [x.copy() for x in arrays], [x.copy() for x in arrays]
            hi[i][idx] += eps * unit
            lo[i][idx] -= eps * unit
            d = (f(*hi) - f(*lo)) / (2 * eps)
            g[idx] += d * unit
    return g


def _loss_np(f):
    return lambda *arrays: f(*[T.tensor(a) for a in arrays]).item()


@pytest.mark.parametrize("name, f, kinds", [
    ("mul", lambda a, b: (a * b).abs().sum(), "cc"),
    ("div", lambda a, b: (a / b).real.sum() + (a / b).imag.square().sum(), "cc"),
    ("abs", lambda a: a.abs().sum(), "c"),
    ("angle", lambda a: (a.angle() * T.arange(1.0, 4.0, dtype=T.float64)).sum(), "c"),
    ("exp", lambda a: (a.exp() * (1 + 2j)).real.sum(), "c"),
    ("matmul", lambda a, b: (a @ b).abs().square().sum(), "cc"),
    ("real/imag", lambda a: (a.real * 3 + a.imag.square()).sum(), "c"),
    ("view_as_real", lambda a: (T.view_as_real(a) ** 3).sum(), "c"),
    ("view_as_complex", lambda x: (T.view_as_complex(x) ** 2).imag.sum(), "R"),
    ("sum", lambda a: a.sum(0).abs().sum(), "c"),
    ("real * complex", lambda x, b: (x * b).abs().sum(), "rc"),
    ("pow", lambda a, b: (a ** b).real.sum(), "cc"),
    ("sgn", lambda a: (a.sgn() * (2 - 1j)).real.sum(), "c"),
    ("complex()", lambda x, y: (T.complex(x, y) ** 2).abs().sum(), "rr"),
])
def test_gradients_by_finite_differences(name, f, kinds, rng):
    shapes = {"mul": [(3,), (3,)], "matmul": [(2, 3), (3, 2)]}.get(name)
    arrays = []
    for i, k in enumerate(kinds):
        shape = shapes[i] if shapes else ((3, 2) if k == "R" else (3,))
        arrays.append(_c(rng, *shape) if k == "c" else rng.standard_normal(shape))
    tensors = [T.tensor(a, requires_grad=True) for a in arrays]
    f(*tensors).backward()
    for i, t in enumerate(tensors):
        np.testing.assert_allclose(t.grad.numpy(), _numeric_grad(_loss_np(f), arrays, i), rtol=1e-5, atol=1e-6)


def test_save_load_and_numpy_round_trip(rng):
    a, b = _c(rng, 2, 3, dtype=np.complex64), _c(rng, 3, 2)
    buf = io.BytesIO()
    T.save({"a": T.tensor(a), "b": T.tensor(b).t()}, buf)
    buf.seek(0)
    back = T.load(buf)
    assert back["a"].dtype is T.complex64 and back["b"].dtype is T.complex128
    np.testing.assert_array_equal(back["a"].numpy(), a)
    np.testing.assert_array_equal(back["b"].numpy(), b.T)
    assert T.from_numpy(a).dtype is T.complex64


def test_randn_complex_has_unit_variance():
    z = T.randn(20000, dtype=T.complex64)
    assert z.dtype is T.complex64
    assert abs(float((z.abs() ** 2).mean()) - 1.0) < 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert abs(float(z.real.var()) - 0.5) < 0.05


def test_gradcheck_checks_complex_gradients():
    x = T.tensor([1 + 2j, 3j, -0.5 + 0.2j], dtype=T.complex128, requires_grad=True)
    y = T.tensor([0.3, -1.2, 2.0], dtype=T.float64, requires_grad=True)
    assert T.autograd.gradcheck(lambda a, b: (a * a * b).exp() / (a + 2), (x, y))
    assert T.autograd.gradcheck(lambda a: T.fft.irfft(a, 5), (x,))

    class NoConj(T.autograd.Function):   # d(a^2) without the conjugate: gradcheck must catch it
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return 2 * g * a
    assert not T.autograd.gradcheck(NoConj.apply, (x,), raise_exception=False)


def test_helpers_know_complex():
    assert T.finfo(T.complex64).eps == T.finfo(T.float32).eps and T.finfo(T.complex128).dtype == "float64"
    assert T.ones(1, dtype=T.complex128).type() == "torch.ComplexDoubleTensor"
    z = T.tensor([1 + 2j, 3 - 4j])
    T.testing.assert_close(z, z + 1e-9)
    with pytest.raises(AssertionError, match="not close"):
        T.testing.assert_close(z, z + 1e-3j)          # an imaginary-only difference is a difference
    u = T.empty(1000, dtype=T.complex64).uniform_(-1, 1)
    assert float(u.imag.abs().max()) > 0.5 and float(u.real.abs().max()) <= 1
    assert abs(float(T.empty(20000, dtype=T.complex64).normal_().imag.var()) - 0.5) < 0.05
    line = T.linspace(0, 1 + 1j, 3)
    assert line.dtype is T.complex64 and line.tolist() == [0j, 0.5 + 0.5j, 1 + 1j]
    m = T.testing.make_tensor(50, dtype=T.complex64, device="cpu")
    assert float(m.imag.abs().max()) > 0


def test_complex_tensor_methods():
    z = T.tensor([3 + 4j, -1j, 2 + 0j])
    assert z.isreal().tolist() == [False, False, True] and T.ones(2).isreal().all()
    assert z.vdot(z).item() == pytest.approx(30) and T.vdot(z, T.ones(3, dtype=T.complex64)).item() == 5 - 3j
    assert T.ones(2).cfloat().dtype is T.complex64 and T.ones(2).cdouble().dtype is T.complex128
    w = z.clone()
    w.conj_physical_()
    assert w.tolist() == [3 - 4j, 1j, 2 + 0j]
    assert tuple(T.randn(100).stft(16, window=T.hann_window(16), return_complex=True).shape) == (9, 26)
    h = T.tensor([[1 + 2j, 3j], [1, 2 - 1j]])
    assert h.H.tolist() == [[1 - 2j, 1], [-3j, 2 + 1j]] and h.mH.tolist() == h.adjoint().tolist() == h.H.tolist()
    with pytest.raises(RuntimeError, match="tensor.H is only supported on matrices"):
        T.ones(3).H
