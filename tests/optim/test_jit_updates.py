"""jit.py's one-pass SGD and Adam updates (the [jit] extra, for parameters of 65536+ elements) against
optim.py's numpy forms: the same bits after several steps, for every option that changes the arithmetic."""
import numpy as np
import pytest

from tritorch._dispatch.cpu import jit
from tritorch._dispatch.cpu import optim as cpu_optim

pytestmark = pytest.mark.skipif(not jit.available(), reason="numba is not installed (pip install -e '.[jit]')")

SHAPE = (300, 250)  # 75000 elements: past optim._JIT_MIN_SIZE


def _arrays(rng, dtype, n):
    out = [rng.standard_normal(SHAPE).astype(dtype) for _ in range(n)]
    out[0].flat[:4] = [np.nan, np.inf, -0.0, 1e30]  # special values travel through both forms alike
    return out


def _run(step, monkeypatch, use_jit, arrays, grads, **kw):
    monkeypatch.setattr(cpu_optim, "_JIT_MIN_SIZE", 65536 if use_jit else 10 ** 12)
    arrays = [None if a is None else a.copy() for a in arrays]
    for i, g in enumerate(grads):
        step(arrays, g, i)
    return arrays


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum, dampening, nesterov, weight_decay, maximize",
                         [(0.0, 0.0, False, 0.0, False), (0.9, 0.0, False, 0.0, False), (0.9, 0.0, True, 1e-2, False),
                          (0.5, 0.3, False, 0.0, True), (0.0, 0.0, False, 5e-4, True)])
def test_sgd_jit_equals_numpy_bit_for_bit(rng, monkeypatch, dtype, momentum, dampening, nesterov, weight_decay,
                                          maximize):
    p, buf = _arrays(rng, dtype, 2)
    grads = [rng.standard_normal(SHAPE).astype(dtype) for _ in range(3)]

    def step(arrays, g, i):
        cpu_optim.sgd_step(arrays[0], g, arrays[1] if momentum else None, 0.01, weight_decay, momentum, dampening,
                           nesterov, maximize, i == 0)

    got = _run(step, monkeypatch, True, [p, buf], grads)
    want = _run(step, monkeypatch, False, [p, buf], grads)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(got[0][4:], p[4:])  # the parameter moved


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad, maximize, decoupled, weight_decay, beta1",
                         [(False, False, False, 0.0, 0.9), (True, False, False, 1e-2, 0.9),
                          (False, True, True, 1e-2, 0.9), (True, True, True, 0.1, 0.3)])  # beta1 0.3: lerp's other side
def test_adam_jit_equals_numpy_bit_for_bit(rng, monkeypatch, dtype, amsgrad, maximize, decoupled, weight_decay, beta1):
    p, m, v = _arrays(rng, dtype, 3)
    v = np.abs(v)
    vmax = v.copy() if amsgrad else None
    if amsgrad:
        vmax.flat[5] = np.nan
    grads = [rng.standard_normal(SHAPE).astype(dtype) for _ in range(3)]

    def step(arrays, g, i):
        cpu_optim.adam_step(arrays[0], g, arrays[1], arrays[2], arrays[3], i + 1, 1e-3, beta1, 0.999, 1e-8,
                            weight_decay, amsgrad, maximize, decoupled)

    got = _run(step, monkeypatch, True, [p, m, v, vmax], grads)
    want = _run(step, monkeypatch, False, [p, m, v, vmax], grads)
    for a, b in zip(got, want):
        if a is not None:
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(got[0][4:], p[4:])


def test_small_or_strided_parameters_stay_with_numpy(monkeypatch):
    """Below the size threshold, or for a non-contiguous or mixed-dtype set, the numpy form runs."""
    calls = []
    monkeypatch.setattr(jit, "sgd_step", lambda *a: calls.append(a))
    small = np.ones(100, np.float32)
    cpu_optim.sgd_step(small, small.copy(), None, 0.1, 0, 0, 0, False, False, True)
    big = np.ones((400, 400), np.float32)
    cpu_optim.sgd_step(big.T, big.copy(), None, 0.1, 0, 0, 0, False, False, True)
    cpu_optim.sgd_step(big, big.astype(np.float64), None, 0.1, 0, 0, 0, False, False, True)
    assert not calls
    cpu_optim.sgd_step(big, big.copy(), None, 0.1, 0, 0, 0, False, False, True)
    assert len(calls) == 1
