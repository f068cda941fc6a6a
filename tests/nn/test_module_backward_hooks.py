"""Module backward hooks, to_empty and _load_from_state_dict, against PyTorch where numbers matter."""
import numpy as np
import pytest

import tritorch


def _program(lib, rng_state, returns_grad_input_twice=True):
    """A two-layer module with two tensor args (one without grad) and a tuple output; records hooks."""
    w1, w2, xv = rng_state

    class M(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = lib.nn.Linear(3, 4), lib.nn.Linear(4, 2)

        def forward(self, x, y):
            h = self.a(x)
            return self.b(h.tanh()) * y, h

    m = M()
    with lib.no_grad():
        m.a.weight.copy_(lib.tensor(w1))
        m.b.weight.copy_(lib.tensor(w2))
        m.a.bias.zero_()
        m.b.bias.zero_()
    log = []
    m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", [g.numpy().copy() for g in go])))

    def hook(mod, gi, go):
        log.append(("full", [None if g is None else g.numpy().copy() for g in gi], [g.numpy().copy() for g in go]))
        if returns_grad_input_twice:
            return tuple(None if g is None else g * 2 for g in gi)
    m.register_full_backward_hook(hook)
    x = lib.tensor(xv, requires_grad=True)
    y = lib.tensor(np.full((5, 2), 0.5, np.float32))
    out, h = m(x, y)
    (out.sum() + (h * 3).sum()).backward()
    return log, x.grad.numpy(), m.a.weight.grad.numpy()


def _same_logs(ours, theirs):
    assert [e[0] for e in ours] == [e[0] for e in theirs]
    for a, b in zip(ours, theirs):
        for la, lb in zip(a[1:], b[1:]):
            assert len(la) == len(lb)
            for u, v in zip(la, lb):
                assert (u is None) == (v is None)
                if u is not None:
                    np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("returns", [True, False])
def test_full_backward_hooks_match_pytorch(rng, returns):
    torch = pytest.importorskip("torch")
    state = (rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((2, 4)).astype(np.float32),
             rng.standard_normal((5, 3)).astype(np.float32))
    ours, theirs = _program(tritorch, state, returns), _program(torch, state, returns)
    _same_logs(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)   # x.grad doubled by the hook
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-6)   # weights' grads untouched


def test_pre_hook_replaces_grad_output_and_hook_sees_none_inputs(rng):
    m = tritorch.nn.Linear(3, 2)
    seen = []
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0,))
    handle = m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go[0].numpy().copy())))
    m(tritorch.tensor(rng.standard_normal((4, 3)).astype(np.float32))).sum().backward()
    assert seen[0][0] == (None,) and not seen[0][1].any()   # no input needs grad: grad_input is (None,)
    assert not m.weight.grad.numpy().any()                    # zeroed grad_output reached the weights
    handle.remove()
    m.zero_grad()
    m(tritorch.ones(1, 3)).sum().backward()
    assert len(seen) == 1


def test_hooks_are_skipped_under_no_grad_and_kinds_do_not_mix():
    m = tritorch.nn.ReLU()
    calls = []
    m.register_full_backward_hook(lambda *a: calls.append(a))
    with tritorch.no_grad():
        m(tritorch.ones(2, requires_grad=True))
    assert calls == []
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
        m.register_backward_hook(lambda *a: None)


@pytest.mark.filterwarnings("ignore:Using a non-full backward hook")
def test_register_backward_hook_warns_and_gives_grad_output(rng):
    torch = pytest.importorskip("torch")
    xv = rng.standard_normal((3, 4)).astype(np.float32)
    got = {}
    for lib in (tritorch, torch):
        m = lib.nn.ReLU()
        if lib is tritorch:
            with pytest.warns(UserWarning, match="full backward hook"):
                m.register_backward_hook(lambda mod, gi, go, lib=lib: got.__setitem__(lib, (gi[0].numpy().copy(),
                                                                                           go[0].numpy().copy())))
        else:
            m.register_backward_hook(lambda mod, gi, go, lib=lib: got.__setitem__(lib, (gi[0].numpy().copy(),
                                                                                       go[0].numpy().copy())))
        x = lib.tensor(xv, requires_grad=True)
        (m(x) * lib.arange(4.0)).sum().backward()
    for a, b in zip(got[tritorch], got[torch]):
        np.testing.assert_allclose(a, b)


def test_to_empty_keeps_shapes_and_dtypes_and_moves_device():
    m = tritorch.nn.Sequential(tritorch.nn.Linear(3, 4), tritorch.nn.BatchNorm1d(4))
    m.to_empty(device="cuda")
    assert [(t.shape, t.dtype, t.device.type) for t in m.state_dict().values()] == [
        ((4, 3), tritorch.float32, "cuda"), ((4,), tritorch.float32, "cuda"), ((4,), tritorch.float32, "cuda"),
        ((4,), tritorch.float32, "cuda"), ((4,), tritorch.float32, "cuda"), ((4,), tritorch.float32, "cuda"),
        ((), tritorch.int64, "cuda")]
    assert isinstance(m[0].weight, tritorch.nn.Parameter) and m[0].weight.requires_grad
    top = tritorch.nn.Sequential(tritorch.nn.Linear(2, 2))
    top.register_buffer("b", tritorch.zeros(2))
    top.to_empty(device="cuda", recurse=False)
    assert top.b.device.type == "cuda" and top[0].weight.device.type == "cpu"


class _Renaming(tritorch.nn.Module):
    """An old checkpoint called the weight 'w': the override renames it, as model code does."""

    def __init__(self):
        super().__init__()
        self.lin = tritorch.nn.Linear(2, 2)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        old = prefix + "lin.w"
        if old in state_dict:
            state_dict[prefix + "lin.weight"] = state_dict.pop(old)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


def test_load_from_state_dict_override_renames_old_keys():
    outer = tritorch.nn.Sequential(_Renaming())
    sd = {"0.lin.w": tritorch.full((2, 2), 3.0), "0.lin.bias": tritorch.ones(2)}
    assert repr(outer.load_state_dict(sd)) == "<All keys matched successfully>"
    assert (outer[0].lin.weight.detach().numpy() == 3).all()
    assert "0.lin.w" in sd                                    # the caller's dict is not edited
    result = outer.load_state_dict({"0.lin.w": tritorch.ones(2, 2), "0.x": tritorch.ones(1)}, strict=False)
    assert result.missing_keys == ["0.lin.bias"] and result.unexpected_keys == ["0.x"]


def test_load_state_dict_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    msgs = []
    for lib in (tritorch, torch):
        m = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1))
        sd = {"0.weight": lib.zeros(3, 2), "2.weight": lib.zeros(1, 4), "2.bias": lib.zeros(1),
              "1.extra": lib.zeros(1), "zzz": lib.zeros(1)}
        with pytest.raises(RuntimeError) as err:
            m.load_state_dict(sd)
        msgs.append(str(err.value).replace("tritorch.Size", "S").replace("torch.Size", "S"))
        ok = m.load_state_dict({k: v for k, v in sd.items() if k != "2.weight"}, strict=False)
        msgs.append((ok.missing_keys, ok.unexpected_keys))
    assert msgs[0] == msgs[2] and msgs[1] == msgs[3]
