"""nn.utils: gradient clipping and parameter/vector conversion."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
from tritorch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def _params_with_grads(*grads):
    out = []
    for g in grads:
        p = nn.Parameter(tritorch.zeros(len(g)))
        p.grad = tritorch.tensor(g)
        out.append(p)
    return out


def test_clip_grad_norm_returns_total_norm_and_clips():
    ps = _params_with_grads([3.0, 0.0], [0.0, 4.0, 0.0])
    total = clip_grad_norm_(ps, 1.0)
    assert float(total) == pytest.approx(5.0)
    clipped = np.concatenate([p.grad.numpy() for p in ps])
    np.testing.assert_allclose(clipped, [0.6, 0, 0, 0.8, 0], rtol=1e-5)
    assert np.linalg.norm(clipped) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_other_norms():
    ps = _params_with_grads([0.3, -0.4])
    assert float(clip_grad_norm_(ps, 1.0)) == pytest.approx(0.5)
    np.testing.assert_allclose(ps[0].grad.numpy(), [0.3, -0.4], rtol=1e-6)
    ps = _params_with_grads([1.0, -6.0], [2.0])
    total = clip_grad_norm_(ps, 3.0, norm_type="inf")
    assert float(total) == 6.0
    np.testing.assert_allclose(ps[0].grad.numpy(), [0.5, -3.0], rtol=1e-5)
    ps = _params_with_grads([1.0, -2.0], [3.0])
    assert float(clip_grad_norm_(ps, 100.0, norm_type=1)) == pytest.approx(6.0)
    assert float(clip_grad_norm_([nn.Parameter(tritorch.zeros(1))], 1.0)) == 0.0  # no grads at all


def test_clip_grad_norm_nonfinite():
    ps = _params_with_grads([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert not np.isfinite(float(clip_grad_norm_(ps, 1.0)))


def test_clip_grad_value_clamps_each_element():
    ps = _params_with_grads([-3.0, 0.5, 2.0])
    clip_grad_value_(ps, 1.0)
    assert ps[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_to_vector_round_trip():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(m.parameters())
    assert vec.shape == (11,)
    np.testing.assert_array_equal(vec.detach().numpy()[:6], m[0].weight.detach().numpy().reshape(-1))
    vector_to_parameters(tritorch.arange(11.0), m.parameters())
    assert m[0].bias.tolist() == [6.0, 7.0] and m[1].weight.tolist() == [[8.0, 9.0]]
    assert isinstance(m[0].weight, nn.Parameter) and m[0].weight.requires_grad
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        vector_to_parameters([1.0], m.parameters())
