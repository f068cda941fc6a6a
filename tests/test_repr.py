"""print(tensor) in PyTorch's layout (the expected strings are PyTorch's output for the same tensors)."""
import tritorch


def test_issue_example():
    assert repr(tritorch.tensor([[1, 2], [3, 4]], dtype=tritorch.float32)) == "tensor([[1., 2.],\n        [3., 4.]])"
    x = tritorch.tensor(2.0, requires_grad=True)
    y = x ** 2 + 3 * x + 1
    y.backward()
    assert repr(x.grad) == "tensor(7.)"
    assert str(x.device) == "cpu"


def test_scalars_and_vectors():
    assert repr(tritorch.tensor(7.0)) == "tensor(7.)"
    assert repr(tritorch.tensor(3)) == "tensor(3)"
    assert repr(tritorch.tensor([1.5, -2.25])) == "tensor([ 1.5000, -2.2500])"
    assert repr(tritorch.tensor([1, -20, 300])) == "tensor([  1, -20, 300])"
    assert repr(tritorch.tensor([True, False])) == "tensor([ True, False])"
    assert repr(tritorch.tensor([0.0, 0.0])) == "tensor([0., 0.])"
    assert repr(tritorch.tensor([1.0, float("inf")])) == "tensor([1., inf])"
    assert repr(tritorch.tensor([float("nan"), 1.5])) == "tensor([   nan, 1.5000])"
    assert repr(tritorch.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(tritorch.tensor([1.0, 1e9])) == "tensor([1.0000e+00, 1.0000e+09])"


def test_dtype_suffix():
    assert repr(tritorch.tensor([1, 2], dtype=tritorch.int32)) == "tensor([1, 2], dtype=tritorch.int32)"
    assert repr(tritorch.tensor([1.0, 2.0], dtype=tritorch.float64)) == "tensor([1., 2.], dtype=tritorch.float64)"
    assert repr(tritorch.tensor([1.5, 2.25], dtype=tritorch.float16)) == \
        "tensor([1.5000, 2.2500], dtype=tritorch.float16)"
    assert repr(tritorch.tensor([1.5, -3.0], dtype=tritorch.bfloat16)) == \
        "tensor([ 1.5000, -3.0000], dtype=tritorch.bfloat16)"
    assert repr(tritorch.tensor([1, 2], dtype=tritorch.uint8)) == "tensor([1, 2], dtype=tritorch.uint8)"


def test_empty():
    assert repr(tritorch.tensor([])) == "tensor([])"
    assert repr(tritorch.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(tritorch.zeros(0, dtype=tritorch.int64)) == "tensor([], dtype=tritorch.int64)"


def test_autograd_suffixes():
    x = tritorch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(x.sum()) == "tensor(3., grad_fn=<SumBackward0>)"
    assert repr((x * 2).detach()) == "tensor([2., 4.])"


def test_matrix_columns_align():
    t = tritorch.tensor([[1.0, -10.5], [100.25, 0.0]])
    assert repr(t) == "tensor([[  1.0000, -10.5000],\n        [100.2500,   0.0000]])"
    assert repr(tritorch.arange(8).reshape(2, 2, 2)) == \
        "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])"


def test_long_rows_wrap_at_80_columns():
    out = repr(tritorch.arange(30.0) / 7)
    lines = out.split("\n")
    assert len(lines) == 4 and all(len(line) <= 80 for line in lines)
    assert lines[0] == "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,"
    assert lines[1].startswith("        1.2857,")


def test_summarization_above_1000_elements():
    assert repr(tritorch.arange(2000.0)) == ("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, "
                                             "1.9980e+03,\n        1.9990e+03])")
    out = repr(tritorch.arange(3000).reshape(100, 30))
    assert out.split("\n")[0] == "tensor([[   0,    1,    2,  ...,   27,   28,   29],"
    assert "        ...,\n" in out and out.endswith("[2970, 2971, 2972,  ..., 2997, 2998, 2999]])")
    assert repr(tritorch.arange(1000)).count("...") == 0


def test_suffix_moves_to_a_new_line_when_too_long():
    t = tritorch.arange(9.0, dtype=tritorch.float64).reshape(1, 9).requires_grad_() / 7
    lines = repr(t).split("\n")
    assert lines[-1] == "       dtype=tritorch.float64, grad_fn=<DivBackward0>)"
