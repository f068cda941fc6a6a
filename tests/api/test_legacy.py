"""Legacy PyTorch: torch.FloatTensor & co., torch.autograd.Variable, Tensor.type(), and keyword forms."""
import numpy as np
import pytest

import tritorch as torch

STEMS = ["Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool"]


def test_legacy_types_construct_and_check_like_pytorch():
    oracle = pytest.importorskip("torch")
    for stem in STEMS:
        ours, theirs = getattr(torch, f"{stem}Tensor"), getattr(oracle, f"{stem}Tensor")
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        assert tuple(ours(2, 3).shape) == tuple(theirs(2, 3).shape) == (2, 3)
        assert tuple(ours().shape) == tuple(theirs().shape) == (0,)
        data = [1, 0, 2] if stem != "Bool" else [True, False]
        np.testing.assert_array_equal(ours(data).numpy().astype(np.float64),
                                      theirs(data).float().numpy().astype(np.float64))
        t = ours(data)
        assert isinstance(t, ours) and t.type() == theirs(data).type() == f"torch.{stem}Tensor"
        assert not isinstance(t, torch.cuda.FloatTensor) and not issubclass(ours, torch.Tensor)
    assert torch.LongTensor([1.7, 2]).tolist() == oracle.LongTensor([1.7, 2]).tolist() == [1, 2]
    assert torch.FloatTensor(np.zeros(2)).dtype is torch.float32
    assert torch.FloatTensor(torch.Size([4])).shape == (4,)
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.zeros(2, dtype=torch.float64))
    assert not isinstance(torch.zeros(2), torch.LongTensor)
    assert repr(torch.FloatTensor) == repr(oracle.FloatTensor) == "<class 'torch.FloatTensor'>"


def test_cuda_legacy_types_and_type_strings():
    x = torch.cuda.FloatTensor([1.0, 2.0])
    assert x.device.type == "cuda" and isinstance(x, torch.cuda.FloatTensor) and not isinstance(x, torch.FloatTensor)
    assert x.type() == "torch.cuda.FloatTensor" and torch.cuda.LongTensor(3).type() == "torch.cuda.LongTensor"
    y = torch.zeros(2).type("torch.cuda.LongTensor")
    assert y.device.type == "cuda" and y.dtype is torch.int64
    assert x.type(torch.FloatTensor).device.type == "cpu"


def test_tensor_type_casts_like_pytorch():
    oracle = pytest.importorskip("torch")
    a, b = torch.tensor([1.5, -2.0]), oracle.tensor([1.5, -2.0])
    for arg, oarg in [(torch.int32, oracle.int32), ("torch.DoubleTensor", "torch.DoubleTensor"),
                      (torch.LongTensor, oracle.LongTensor), (torch.HalfTensor, oracle.HalfTensor)]:
        ours, theirs = a.type(arg), b.type(oarg)
        assert ours.type() == theirs.type() and ours.tolist() == theirs.tolist()
    assert a.type(torch.FloatTensor) is a
    with pytest.raises(ValueError, match="invalid type"):
        a.type("torch.NoSuchTensor")


def test_variable_is_a_detached_tensor_like_pytorch():
    oracle = pytest.importorskip("torch")
    from tritorch.autograd import Variable
    for lib, V in ((torch, Variable), (oracle, oracle.autograd.Variable)):
        t = lib.ones(2)
        v = V(t, requires_grad=True)
        assert v is not t and v.requires_grad and not t.requires_grad and isinstance(t, V)
        v.data[0] = 5.0                       # shares memory with t, as in PyTorch
        assert t[0].item() == 5.0
        a = lib.ones(2, requires_grad=True)
        c = V(a * 2)
        assert not c.requires_grad and c.grad_fn is None
        (V(a, requires_grad=True) * 3).sum().backward()
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            V([1, 2])
    assert torch.autograd.Variable is Variable


def test_data_idioms():
    w = torch.nn.Parameter(torch.ones(3))
    w.data.mul_(2)                             # in-place on .data: no autograd history, the weight changes
    w.data = torch.zeros(3)
    assert w.requires_grad and w.tolist() == [0.0, 0.0, 0.0]
    w.data.copy_(torch.tensor([1.0, 2.0, 3.0]))
    assert w.tolist() == [1.0, 2.0, 3.0] and w.grad_fn is None


def test_randint_high_size_keyword_and_normal_keywords():
    oracle = pytest.importorskip("torch")
    for lib in (torch, oracle):
        a = lib.randint(10, size=(500,))
        assert a.shape == (500,) and int(a.min()) >= 0 and int(a.max()) < 10 and a.dtype == lib.int64
        assert lib.randint(3, 5, size=(4,)).min() >= 3
        with pytest.raises(TypeError):
            lib.randint(10)
    x = torch.zeros(20000).normal_(mean=3.0, std=0.5)
    assert abs(x.mean().item() - 3.0) < 0.03 and abs(x.std().item() - 0.5) < 0.03
    y = torch.zeros(20000).uniform_(2.0, 4.0)
    assert 2.0 <= y.min().item() and y.max().item() < 4.0
