"""default_collate / default_convert: PyTorch's rules for numbers, arrays, tensors and containers."""
import collections

import numpy as np
import pytest

import tritorch
from tritorch.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def test_numbers_become_tensors_with_pytorch_dtypes():
    f = default_collate([1.5, 2.0])
    assert f.dtype == tritorch.float64 and f.tolist() == [1.5, 2.0]
    i = default_collate([3, 4])
    assert i.dtype == tritorch.int64 and i.tolist() == [3, 4]
    b = default_collate([True, False])
    assert b.dtype == tritorch.bool and b.tolist() == [True, False]
    s = default_collate([np.float32(1.0), np.float32(2.5)])
    assert s.dtype == tritorch.float32 and s.tolist() == [1.0, 2.5]


def test_tensors_and_arrays_are_stacked():
    out = default_collate([tritorch.ones(2, 3), tritorch.zeros(2, 3)])
    assert out.shape == (2, 2, 3) and out.dtype == tritorch.float32 and out.sum().item() == 6
    arr = default_collate([np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16) + 10])
    assert arr.dtype == tritorch.int16 and arr.tolist() == [[0, 1, 2], [10, 11, 12]]
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\]"):
        default_collate([tritorch.ones(2), tritorch.ones(3)])
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                                        "found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_nested_structures():
    batch = [{"img": np.ones((2,), np.float32), "meta": (1, "a"), "p": Point(0.5, [1, 2])},
             {"img": np.zeros((2,), np.float32), "meta": (2, "b"), "p": Point(1.5, [3, 4])}]
    out = default_collate(batch)
    assert set(out) == {"img", "meta", "p"}
    assert out["img"].shape == (2, 2)
    assert isinstance(out["meta"], list) and out["meta"][0].tolist() == [1, 2]
    assert out["meta"][1] == ("a", "b")  # strings stay as PyTorch leaves them: the zipped column
    assert isinstance(out["p"], Point) and out["p"].x.dtype == tritorch.float64
    assert [t.tolist() for t in out["p"].y] == [[1, 3], [2, 4]]  # lists are transposed, like tuples
    ordered = default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert type(ordered) is collections.OrderedDict and ordered["a"].tolist() == [1, 2]


def test_strings_and_errors():
    assert default_collate(["ab", "cd"]) == ["ab", "cd"]
    assert default_collate([b"x", b"y"]) == [b"x", b"y"]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


def test_default_convert():
    t = tritorch.ones(2)
    assert default_convert(t) is t
    conv = default_convert({"a": np.arange(3), "b": (np.float64(2.0), "s"), "p": Point(np.ones(1), 1)})
    assert isinstance(conv["a"], tritorch.Tensor) and conv["a"].tolist() == [0, 1, 2]
    assert isinstance(conv["b"], list) and conv["b"][0].dtype == tritorch.float64 and conv["b"][1] == "s"
    assert isinstance(conv["p"], Point) and isinstance(conv["p"].x, tritorch.Tensor) and conv["p"].y == 1
    strings = np.array(["a", "b"])
    assert default_convert(strings) is strings
    assert default_convert(3) == 3
