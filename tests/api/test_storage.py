"""Tensor.untyped_storage() / storage() / storage_offset() against PyTorch: sizes, offsets, sharing."""
import numpy as np
import pytest

import tritorch


def _facts(lib, rows, cols):
    x = lib.arange(float(rows * cols)).reshape(rows, cols)
    views = [x, x[1:], x[:, 2:], x[1:, 1:].t(), x.view(-1)[3:], x.clone()[1:], x.to(lib.float64)[2:]]
    out = []
    for v in views:
        s = v.storage()
        out.append((v.storage_offset(), v.untyped_storage().nbytes(), v.untyped_storage().size(),
                    v.untyped_storage().element_size(), s.size(), len(s), s.element_size(), s.nbytes(),
                    v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr(),
                    s.data_ptr() == v.untyped_storage().data_ptr()))
    return out


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
def test_storage_facts_match_pytorch(rng):
    torch = pytest.importorskip("torch")
    rows, cols = (int(n) for n in rng.integers(3, 9, size=2))
    assert _facts(tritorch, rows, cols) == _facts(torch, rows, cols)


def test_storage_warns_as_pytorch_and_refuses_element_access():
    x = tritorch.ones(4)
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        s = x.storage()
    assert s.dtype is tritorch.float32 and s.untyped().nbytes() == 16 and not s.is_cuda
    with pytest.raises(NotImplementedError, match="cannot be indexed"):
        x.untyped_storage()[0]
    with pytest.raises(NotImplementedError, match="cannot resize"):
        x.untyped_storage().resize_(0)


def test_cuda_storage_is_the_allocation():
    x = tritorch.arange(10.0, device="cuda")
    v = x[3:]
    assert v.storage_offset() == 3 and v.untyped_storage().nbytes() == 40
    assert v.untyped_storage().data_ptr() == x.data_ptr() and v.untyped_storage().device.type == "cuda"
    assert np.asarray(v.cpu().numpy())[0] == 3


def test_shared_memory_is_refused_not_faked():
    x = tritorch.ones(3)
    assert x.is_shared() is False
    with pytest.raises(NotImplementedError, match="Tensor.share_memory_: tritorch has no shared-memory tensors"):
        x.share_memory_()
    with pytest.raises(NotImplementedError, match="Module.share_memory: tritorch has no shared-memory tensors"):
        tritorch.nn.Linear(2, 2).share_memory()
