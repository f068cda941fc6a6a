"""view_as_real / view_as_complex / polar without complex dtypes: PyTorch's errors for bad input, and a
clear NotImplementedError where PyTorch would return a complex tensor (never a real stand-in)."""
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
])
def test_bad_input_errors_match_pytorch(call):
    torch = pytest.importorskip("torch")
    assert _error(tritorch, call) == _error(torch, call)


def test_a_valid_view_as_complex_or_polar_says_complex_is_missing():
    with pytest.raises(NotImplementedError, match="view_as_complex: tritorch has no complex dtypes"):
        tritorch.view_as_complex(tritorch.ones(4, 2))
    with pytest.raises(NotImplementedError, match="complex dtypes"):
        tritorch.view_as_complex(tritorch.ones(2))           # PyTorch: a complex scalar
    with pytest.raises(NotImplementedError, match="polar: tritorch has no complex dtypes"):
        tritorch.polar(tritorch.ones(3), tritorch.zeros(3))


def test_stft_and_istft_say_complex_is_missing():
    with pytest.raises(NotImplementedError, match="torch.stft: tritorch has no complex dtypes"):
        tritorch.stft(tritorch.ones(64), 16, window=tritorch.hann_window(16), return_complex=True)
    with pytest.raises(NotImplementedError, match="torch.istft: tritorch has no complex dtypes"):
        tritorch.istft(tritorch.ones(9, 4), 16)
