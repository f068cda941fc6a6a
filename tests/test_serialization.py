"""tritorch.save / tritorch.load: round trips, interoperability, atomic writes, and errors on bad files."""
from collections import OrderedDict
import io
import math
import os
import pickle
import zipfile

import numpy as np
import pytest
import safetensors
import safetensors.numpy

import tritorch
from tritorch import nn

DTYPES = [tritorch.float32, tritorch.float64, tritorch.float16, tritorch.bfloat16, tritorch.int64, tritorch.int32,
          tritorch.int16, tritorch.int8, tritorch.uint8, tritorch.bool]


def _same(a, b):
    """Structural equality with tensors compared by dtype, shape, device and exact values."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, tritorch.Tensor):
        assert (a.dtype, a.shape, a.device, a.requires_grad) == (b.dtype, b.shape, b.device, b.requires_grad)
        np.testing.assert_array_equal(a.detach().cpu().float().numpy() if a.dtype is tritorch.bfloat16
                                      else a.detach().cpu().numpy(),
                                      b.detach().cpu().float().numpy() if b.dtype is tritorch.bfloat16
                                      else b.detach().cpu().numpy())
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def _round_trip(obj, path):
    tritorch.save(obj, path)
    return tritorch.load(path)


def test_nested_structures_and_plain_values(tmp_path):
    obj = {
        "state": {0: {"step": tritorch.tensor(3.0), "exp_avg": tritorch.randn(2, 3)}, 7: {}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 7], "name": None, "nesterov": True}],
        "plain": [1, -2**62, 2.5, 1e-300, float("inf"), -float("inf"), float("nan"), "ünïcode ✓", "", False, None],
        "nested": [[], {}, (), ((1, 2), [3, {"x": (4,)}])],
        "$weird": {"$tensor": "not a tensor", "$tuple": [1]},
        (1, "a"): "tuple key", 2.5: "float key", None: "none key", True: "bool key",
        "ordered": OrderedDict([("b", 1), ("a", tritorch.arange(3))]),
        "meta": {"dtype": tritorch.bfloat16, "device": tritorch.device("cpu")},
    }
    back = _round_trip(obj, tmp_path / "x.safetensors")
    _same(obj, back)
    assert list(back["state"]) == [0, 7] and isinstance(back["ordered"], OrderedDict)
    assert back["meta"]["dtype"] is tritorch.bfloat16


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (3,), (2, 3, 4)])
def test_tensor_dtypes_and_shapes(tmp_path, rng, dtype, shape):
    a = rng.standard_normal(shape) * 50
    t = tritorch.tensor(a).to(dtype)
    back = _round_trip({"t": t, "l": [t]}, tmp_path / "t.safetensors")
    _same(t, back["t"])
    _same(t, back["l"][0])
    back["t"].add_(1) if dtype is not tritorch.bool else back["t"].logical_not_()   # loaded tensors are writable


def test_views_requires_grad_and_shared_storage_become_copies(tmp_path, rng):
    base = tritorch.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    w = tritorch.ones(2, requires_grad=True)
    back = _round_trip({"base": base, "t": base.T, "row": base[1], "same": [w, w]}, tmp_path / "v.safetensors")
    _same(base.T.contiguous(), back["t"])
    _same(base[1].contiguous(), back["row"])
    assert back["same"][0].requires_grad and back["same"][0].is_leaf
    back["base"].zero_()                                   # documented: sharing is not preserved
    np.testing.assert_array_equal(back["row"].numpy(), base[1].numpy())
    assert back["same"][0] is not back["same"][1]


def test_module_state_dict_round_trip(tmp_path, rng):
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    back = _round_trip(m.state_dict(), tmp_path / "m.safetensors")
    assert isinstance(back, OrderedDict) and list(back) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    m2 = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    m2.load_state_dict(back)
    x = tritorch.tensor(rng.standard_normal((5, 4)).astype(np.float32))
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


def test_files_are_plain_safetensors(tmp_path):
    sd = {"fc.weight": tritorch.arange(6.0).reshape(2, 3), "opt": {"state": {0: {"m": tritorch.zeros(2)}}}}
    tritorch.save(sd, tmp_path / "f.safetensors")
    flat = safetensors.numpy.load_file(tmp_path / "f.safetensors")
    assert set(flat) == {"fc.weight", "opt.state.0.m"}
    np.testing.assert_array_equal(flat["fc.weight"], np.arange(6.0, dtype=np.float32).reshape(2, 3))
    with safetensors.safe_open(tmp_path / "f.safetensors", framework="np") as f:
        assert '"$tensor":"fc.weight"' in f.metadata()["tritorch"]


def test_foreign_safetensors_loads_as_flat_dict(tmp_path):
    safetensors.numpy.save_file({"b": np.ones(2, np.int32), "a": np.zeros((1, 2), np.float16)},
                                tmp_path / "hf.safetensors")
    back = tritorch.load(tmp_path / "hf.safetensors")
    assert set(back) == {"a", "b"} and back["b"].dtype is tritorch.int32 and back["a"].shape == (1, 2)


def test_binary_file_objects():
    buf = io.BytesIO()
    tritorch.save({"x": tritorch.arange(4), "n": 3}, buf)
    buf.seek(0)
    back = tritorch.load(buf)
    assert back["n"] == 3 and back["x"].tolist() == [0, 1, 2, 3]


def test_map_location(tmp_path):
    path = tmp_path / "d.safetensors"
    tritorch.save({"c": tritorch.ones(2), "g": tritorch.ones(3, device="cuda")}, path)
    back = tritorch.load(path)
    assert back["c"].device.type == "cpu" and back["g"].device.type == "cuda"
    assert all(t.device.type == "cpu" for t in tritorch.load(path, map_location="cpu").values())
    assert all(t.device.type == "cuda" for t in tritorch.load(path, map_location=tritorch.device("cuda")).values())
    back = tritorch.load(path, map_location={"cuda:0": "cpu"})
    assert back["g"].device.type == "cpu" and back["g"].tolist() == [1.0, 1.0, 1.0]
    seen = []
    back = tritorch.load(path, map_location=lambda t, loc: seen.append(loc) or t * 2)
    assert sorted(seen) == ["cpu", "cuda:0"] and back["g"].device.type == "cpu" and back["g"].tolist() == [2.0] * 3


def test_unsupported_objects_are_refused():
    with pytest.raises(TypeError, match=r"cannot store an object of type function at obj\['a'\]\[0\]"):
        tritorch.save({"a": [lambda: 0]}, io.BytesIO())
    with pytest.raises(TypeError, match="type set"):
        tritorch.save({1, 2}, io.BytesIO())


# -- atomic writes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("crash_in", ["replace", "fsync"])
def test_a_crash_during_save_leaves_the_previous_file(tmp_path, monkeypatch, crash_in):
    path = tmp_path / "ckpt.safetensors"
    tritorch.save({"v": tritorch.tensor([1.0, 2.0]), "step": 1}, path)
    before = path.read_bytes()

    def crash(*args):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, crash_in, crash)
    with pytest.raises(OSError, match="simulated crash"):
        tritorch.save({"v": tritorch.tensor([9.0, 9.0]), "step": 2}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    back = tritorch.load(path)
    assert back["step"] == 1 and back["v"].tolist() == [1.0, 2.0]
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]         # no temp file left behind
    tritorch.save({"step": 3}, path)                            # and the next save replaces it
    assert tritorch.load(path) == {"step": 3}


def test_saved_file_mode_follows_umask(tmp_path):
    umask = os.umask(0o022)
    try:
        tritorch.save({"a": 1}, tmp_path / "m.safetensors")
    finally:
        os.umask(umask)
    assert (tmp_path / "m.safetensors").stat().st_mode & 0o777 == 0o644


# -- bad files ------------------------------------------------------------------------------------------
class _Evil:
    def __reduce__(self):
        return (os.mkdir, ("PWNED_BY_PICKLE",))


def _bad_files(tmp_path):
    good = tmp_path / "good.safetensors"
    tritorch.save({"w": tritorch.randn(4, 4), "n": 1}, good)
    data = good.read_bytes()
    n = int.from_bytes(data[:8], "little")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", b"x")
    meta = data.replace(b'{\\"version\\"', b'{\\"versi@n\\"')
    missing = data.replace(b'"$tensor\\":\\"w\\"', b'"$tensor\\":\\"q\\"')
    return {
        "empty": (b"", "is empty"),
        "tiny": (b"abc", "truncated or not a safetensors file"),
        "text": (b"hello, this is a text file\n" * 4, "truncated or not a safetensors file"),
        "pickle": (pickle.dumps({"a": _Evil()}), "looks like a pickle"),
        "zip": (buf.getvalue(), "is a zip archive"),
        "truncated_body": (data[:-5], "corrupt or truncated"),
        "truncated_header": (data[: 8 + n // 2], "truncated or not a safetensors file"),
        "header_not_json": (data[:8] + b"\xff" * n + data[8 + n:], "header is not JSON"),
        "bad_metadata": (meta, "not valid tritorch structure JSON"),
        "missing_tensor": (missing, "refers to tensor 'q'"),
    }


@pytest.mark.parametrize("kind", ["empty", "tiny", "text", "pickle", "zip", "truncated_body", "truncated_header",
                                  "header_not_json", "bad_metadata", "missing_tensor"])
def test_bad_files_raise_clear_errors(tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    data, message = _bad_files(tmp_path)[kind]
    path = tmp_path / f"{kind}.bin"
    path.write_bytes(data)
    with pytest.raises(RuntimeError, match=message) as e:
        tritorch.load(path)
    assert str(path) in str(e.value)
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        tritorch.load("/nonexistent/dir/x.safetensors")


def test_pytorch_reads_the_tensors(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    sd = {"w": tritorch.arange(6.0).reshape(2, 3).to(tritorch.bfloat16), "s": {0: {"step": tritorch.tensor(4.0)}}}
    tritorch.save(sd, tmp_path / "p.safetensors")
    flat = st_torch.load_file(tmp_path / "p.safetensors")
    assert flat["w"].dtype == torch.bfloat16 and flat["w"].float().tolist() == [[0, 1, 2], [3, 4, 5]]
    assert flat["s.0.step"].shape == () and flat["s.0.step"].item() == 4.0
