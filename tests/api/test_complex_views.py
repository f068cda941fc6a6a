"""view_as_real / view_as_complex / polar / stft / istft: PyTorch's errors for bad input, and real
results (shapes, dtypes, shared memory) for good input."""
import numpy as np
import pytest

import tritorch


def _error(lib, call):
    with pytest.raises(Exception) as err:
        call(lib)
    return type(err.value).__name__, str(err.value)


@pytest.mark.parametrize("call", [
    lambda lib: lib.view_as_real(lib.ones(3, 2)),
    lambda lib: lib.view_as_complex(lib.ones(2, 3)),
    lambda lib: lib.view_as_complex(lib.ones(())),
    lambda lib: lib.view_as_complex(lib.ones(2, 2, dtype=lib.int64)),
    lambda lib: lib.view_as_complex(lib.ones(2, 2).t()),
    lambda lib: lib.view_as_complex(lib.ones(3, 3)[:, 1:]),
    lambda lib: lib.polar(lib.ones(3), lib.zeros(3, dtype=lib.float64)),
    lambda lib: lib.complex(lib.ones(3, dtype=lib.int64), lib.ones(3, dtype=lib.int64)),
    lambda lib: lib.stft(lib.ones(64), 16),
    lambda lib: lib.istft(lib.ones(9, 4), 16),
])
def test_bad_input_errors_match_pytorch(call):
    torch = pytest.importorskip("torch")
    assert _error(tritorch, call) == _error(torch, call)


def test_view_as_complex_and_back_share_memory():
    x = tritorch.arange(8, dtype=tritorch.float64).reshape(2, 2, 2)
    z = tritorch.view_as_complex(x)
    assert z.dtype is tritorch.complex128 and tuple(z.shape) == (2, 2)
    assert z[1, 0].item() == 4 + 5j
    z[0, 1] = 10 - 1j                     # a write through the complex view reaches x
    assert x[0, 1].tolist() == [10.0, -1.0]
    r = tritorch.view_as_real(z)
    assert r.dtype is tritorch.float64 and tuple(r.shape) == (2, 2, 2)
    r[1, 1, 1] = 7.0                      # and one through the real view reaches z (and x)
    assert z[1, 1].item() == 6 + 7j and x[1, 1, 1].item() == 7.0
    assert tuple(tritorch.view_as_complex(tritorch.ones(2)).shape) == ()   # a complex scalar, as PyTorch


def test_polar():
    z = tritorch.polar(tritorch.tensor([2.0, 1.0]), tritorch.tensor([0.0, np.pi / 2]))
    assert z.dtype is tritorch.complex64
    np.testing.assert_allclose(z.numpy(), [2, 1j], atol=1e-7)


def test_stft_shapes():
    x = tritorch.randn(2, 100)
    spec = tritorch.stft(x, 16, window=tritorch.hann_window(16), return_complex=True)
    assert spec.dtype is tritorch.complex64 and tuple(spec.shape) == (2, 9, 26)
    back = tritorch.istft(spec, 16, window=tritorch.hann_window(16), length=100)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-5)
