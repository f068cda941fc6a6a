"""Transforms: ToTensor's layout and scaling, Normalize's per-channel arithmetic and errors, Compose."""
import numpy as np
import pytest

import tritorch
from tritorch.datasets.transforms import Compose, Flatten, Lambda, Normalize, ToTensor


def test_to_tensor_layouts_and_scaling():
    gray = np.arange(6, dtype=np.uint8).reshape(2, 3) * 50
    t = ToTensor()(gray)
    assert t.shape == (1, 2, 3) and t.dtype == tritorch.float32
    np.testing.assert_allclose(t.numpy()[0], gray / 255.0, rtol=1e-6)
    rgb = np.random.default_rng(0).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    t = ToTensor()(rgb)
    assert t.shape == (3, 4, 5)
    np.testing.assert_allclose(t.numpy()[2], rgb[:, :, 2] / 255.0, rtol=1e-6)
    floats = np.full((2, 2), 7.5, np.float64)
    t = ToTensor()(floats)
    assert t.dtype == tritorch.float64 and t.max().item() == 7.5  # only uint8 is rescaled
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        ToTensor()([1, 2])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions"):
        ToTensor()(np.zeros(3, np.uint8))


def test_normalize_per_channel():
    x = tritorch.arange(12, dtype=tritorch.float32).reshape(3, 2, 2)
    out = Normalize((1.0, 2.0, 3.0), (1.0, 2.0, 4.0))(x)
    expected = (x.numpy() - np.array([1, 2, 3])[:, None, None]) / np.array([1, 2, 4])[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected)
    assert tritorch.equal(x, tritorch.arange(12, dtype=tritorch.float32).reshape(3, 2, 2))  # not in place
    y = x.clone()
    assert Normalize((1.0,), (2.0,), inplace=True)(y) is y and y[0, 0, 0].item() == -0.5
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got tritorch.int64"):
        Normalize((0,), (1,))(tritorch.zeros(1, 2, 2, dtype=tritorch.int64))
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image of size"):
        Normalize((0,), (1,))(tritorch.zeros(2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        Normalize((0.0,), (0.0,))(tritorch.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="Input tensor should be a torch tensor"):
        Normalize((0,), (1,))(np.zeros((1, 2, 2)))


def test_compose_lambda_flatten():
    pipeline = Compose([ToTensor(), Lambda(lambda t: t * 255), Flatten()])
    out = pipeline(np.array([[1, 2], [3, 4]], np.uint8))
    assert out.shape == (4,)
    np.testing.assert_allclose(out.numpy(), [1, 2, 3, 4], rtol=1e-6)
    assert "ToTensor()" in repr(pipeline) and "Flatten()" in repr(pipeline)
    with pytest.raises(TypeError, match="Argument lambd should be callable"):
        Lambda(3)
