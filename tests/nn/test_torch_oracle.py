"""Optional PyTorch oracle: the same model in both frameworks, weights exported from PyTorch as
numpy arrays and loaded with load_state_dict, gives the same outputs, reprs and losses."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as tnn
import tritorch.nn.functional as TF

torch = pytest.importorskip("torch")


def _build(nn):
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1, groups=3), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 4, 3, stride=2, padding="valid", dilation=1), nn.AdaptiveAvgPool2d((2, 2)),
                         nn.Flatten(), nn.Linear(16, 8), nn.LayerNorm(8), nn.GELU(approximate="tanh"),
                         nn.Linear(8, 5))


def test_same_weights_same_outputs_same_keys_same_repr():
    torch.manual_seed(0)
    ref = _build(torch.nn)
    ref.train()(torch.randn(4, 3, 12, 12))  # non-trivial running statistics
    ref.eval()
    ours = _build(tnn).eval()
    state = {k: v.detach().numpy() for k, v in ref.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((2, 3, 12, 12)).astype(np.float32)
    want = ref(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(tritorch.tensor(x)).detach().numpy(), want, rtol=1e-4, atol=1e-5)
    assert repr(ours) == repr(ref)


def test_cross_entropy_variants_match():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 4, 3)).astype(np.float32)
    t = rng.integers(0, 4, (6, 3))
    t[0, 0] = -100
    w = rng.uniform(0.5, 2, 4).astype(np.float32)
    for kw in [{}, {"label_smoothing": 0.2}, {"reduction": "sum"}, {"reduction": "none", "label_smoothing": 0.1}]:
        want = torch.nn.functional.cross_entropy(torch.from_numpy(x), torch.from_numpy(t), torch.from_numpy(w), **kw)
        got = TF.cross_entropy(tritorch.tensor(x), tritorch.tensor(t), tritorch.tensor(w), **kw)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_conv_transpose_and_pooling_match():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 5, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    want = torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=2, padding=1,
                                                output_padding=1)
    got = TF.conv_transpose2d(tritorch.tensor(x), tritorch.tensor(w), stride=2, padding=1, output_padding=1)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-5)
    for kw in [{"ceil_mode": True}, {"padding": 1, "count_include_pad": False}]:
        want = torch.nn.functional.avg_pool2d(torch.from_numpy(x), 3, 2, **kw)
        got = TF.avg_pool2d(tritorch.tensor(x), 3, 2, **kw)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    want = torch.nn.functional.max_pool2d(torch.from_numpy(x), 3, 2, 1, ceil_mode=True)
    np.testing.assert_allclose(TF.max_pool2d(tritorch.tensor(x), 3, 2, 1, ceil_mode=True).numpy(), want.numpy())
