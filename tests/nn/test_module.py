"""Module, Parameter and containers: registration, traversal, state_dict, repr, hooks, modes."""
import copy

import numpy as np
import pytest

import tritorch
import tritorch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 5 * 5, 2))
        self.register_buffer("scale", tritorch.ones(1))
        self.register_buffer("cache", tritorch.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.bn(self.conv(x)).relu()) * self.scale


def test_state_dict_keys_are_pytorchs():
    m = Block()
    assert list(m.state_dict()) == ["scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean",
                                    "bn.running_var", "bn.num_batches_tracked", "head.1.weight", "head.1.bias"]
    assert m.state_dict()["bn.num_batches_tracked"].dtype is tritorch.int64
    assert "cache" in dict(m.named_buffers()) and "cache" not in m.state_dict()
    assert [n for n, _ in m.named_parameters()] == ["conv.weight", "conv.bias", "bn.weight", "bn.bias",
                                                    "head.1.weight", "head.1.bias"]
    assert [n for n, _ in m.named_modules()] == ["", "conv", "bn", "head", "head.0", "head.1"]
    assert [n for n, _ in m.named_children()] == ["conv", "bn", "head"]
    assert not m.state_dict()["conv.weight"].requires_grad


def test_repr_matches_pytorch_layout():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.1), nn.Linear(3, 1, bias=False)))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "    (1): Linear(in_features=3, out_features=1, bias=False)\n"
        "  )\n"
        ")")
    assert repr(Block().bn) == "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


def test_state_dict_round_trip_gives_same_outputs():
    tritorch.manual_seed(0)
    a, b = Block(), Block()
    x = tritorch.randn(2, 3, 5, 5)
    a.train()(x)  # moves the running statistics
    a.eval()
    res = b.load_state_dict(a.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == [] and repr(res) == "<All keys matched successfully>"
    b.eval()
    np.testing.assert_allclose(b(x).detach().numpy(), a(x).detach().numpy(), rtol=1e-6)
    assert int(b.bn.num_batches_tracked) == 1


def test_load_state_dict_accepts_numpy_arrays():
    m = nn.Linear(3, 2)
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    m.load_state_dict({"weight": w, "bias": np.zeros(2, np.float32)})
    np.testing.assert_array_equal(m.weight.detach().numpy(), w)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad


def test_load_state_dict_strict_errors_list_keys():
    m = nn.Sequential(nn.Linear(3, 2))
    sd = m.state_dict()
    del sd["0.bias"]
    sd["0.extra"] = tritorch.zeros(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    assert str(e.value) == ('Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "0.bias". '
                            '\n\tUnexpected key(s) in state_dict: "0.extra". ')
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["0.bias"] and res.unexpected_keys == ["0.extra"]


def test_load_state_dict_shape_mismatch_names_shapes():
    m = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape .*\[2, 4\].* from "
                                           r"checkpoint, the shape in current model is .*\[2, 3\]"):
        m.load_state_dict({"weight": tritorch.zeros(2, 4), "bias": tritorch.zeros(2)})


def test_to_dtype_moves_parameters_in_place():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    w = m[0].weight
    m[0](tritorch.randn(3, 2)).sum().backward()
    m.to(tritorch.float64)
    assert m[0].weight is w and w.dtype is tritorch.float64 and w.grad.dtype is tritorch.float64
    assert m[1].running_mean.dtype is tritorch.float64
    assert m[1].num_batches_tracked.dtype is tritorch.int64  # integer buffers keep their dtype
    assert m.float()[0].weight.dtype is tritorch.float32
    with pytest.raises(TypeError, match="floating point"):
        m.to(tritorch.int64)


def test_zero_grad_train_eval_requires_grad_apply():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    m[0](tritorch.randn(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert m[0].weight.grad is not None and float(m[0].weight.grad.abs().sum()) == 0
    m.zero_grad()
    assert m[0].weight.grad is None
    assert m.eval() is m and not m[1].training
    assert m.train().training and m[1].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Dropout", "Sequential"]


def test_hooks_can_rewrite_inputs_and_outputs_and_be_removed():
    m = nn.Identity()
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
    assert float(m(tritorch.tensor(3.0))) == 7.0
    h1.remove()
    assert float(m(tritorch.tensor(3.0))) == 4.0
    h2.remove()
    assert float(m(tritorch.tensor(3.0))) == 3.0


def test_registration_errors_are_pytorchs():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter 'weight' "
                                        r"\(torch.nn.Parameter or None expected\)"):
        m.weight = tritorch.zeros(2, 2)
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        m.register_buffer("in_features", tritorch.zeros(1))
    with pytest.raises(KeyError, match='buffer name can.+t contain "[.]"'):
        m.register_buffer("a.b", tritorch.zeros(1))
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(AttributeError, match="Linear has no attribute `x`"):
        nn.Sequential(m).get_submodule("0.x")
    m.bias = None
    assert m.bias is None and list(m.state_dict()) == ["weight"]
    assert nn.Sequential(nn.Sequential(m)).get_submodule("0.0") is m


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, lin)
    assert len(list(m.parameters())) == 2
    assert list(m.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_parameter_shares_memory_and_prints():
    t = tritorch.zeros(2)
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, tritorch.Tensor)
    t.add_(1)
    assert p.tolist() == [1.0, 1.0]
    assert repr(p).startswith("Parameter containing:\ntensor([1., 1.]")
    assert not nn.Parameter(tritorch.zeros(1), requires_grad=False).requires_grad


def test_deepcopy_gives_independent_parameters():
    m = nn.Linear(2, 2)
    c = copy.deepcopy(m)
    assert isinstance(c.weight, nn.Parameter) and c.weight is not m.weight
    with tritorch.no_grad():
        c.weight.add_(1)
    assert not np.allclose(c.weight.detach().numpy(), m.weight.detach().numpy())


def test_sequential_indexing_slicing_and_mutation():
    a, b, c = nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b)
    s.append(c)
    assert len(s) == 3 and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c] and list(sub._modules) == ["1", "2"]
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[0] is b
    s.insert(0, a)
    assert list(s) == [a, b, c]
    with pytest.raises(IndexError):
        s[3]
    assert s(tritorch.ones(4, 1)).shape == (4, 1)


def test_module_list_and_dict_register_children():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.Linear(1, 2))
    assert len(ml) == 4 and len(list(ml.parameters())) == 8 and ml[-1].out_features == 2
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"]
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    md["c"] = nn.Tanh()
    assert list(md.keys()) == ["a", "b", "c"] and "a" in md and len(list(md.parameters())) == 2
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        ml(tritorch.ones(1))


def test_parameter_list_and_dict():
    pl = nn.ParameterList([tritorch.ones(3, 2), nn.Parameter(tritorch.zeros(1))])
    assert isinstance(pl[0], nn.Parameter) and list(pl.state_dict()) == ["0", "1"]
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [tritorch.float32 of size 3x2]\n"
                        "    (1): Parameter containing: [tritorch.float32 of size 1]\n)")
    pd = nn.ParameterDict({"w": tritorch.ones(2)})
    pd["b"] = nn.Parameter(tritorch.zeros(1))
    assert list(pd.keys()) == ["w", "b"] and list(dict(pd.named_parameters())) == ["w", "b"]
    assert isinstance(pd["w"], nn.Parameter)


def test_buffer_assignment_and_move_with_module():
    m = nn.Module()
    m.register_buffer("b", tritorch.zeros(2))
    m.b = tritorch.ones(2)
    assert m.state_dict()["b"].tolist() == [1.0, 1.0]
    m.c = nn.Buffer(tritorch.ones(1), persistent=False)
    assert "c" in dict(m.named_buffers()) and "c" not in m.state_dict()
    m.double()
    assert m.b.dtype is tritorch.float64
