"""PyTorch's .pt files: tritorch reads what torch.save writes, PyTorch's default torch.load reads
what tritorch.save writes to a .pt path, and a malicious pickle inside runs nothing."""
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tritorch


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.BatchNorm1d(5), lib.nn.ReLU(), lib.nn.Linear(5, 2))


def test_pytorch_file_loads_in_tritorch(tmp_path):
    torch = pytest.importorskip("torch")
    net = _net(torch)
    base = torch.arange(12.0).reshape(3, 4)
    obj = {"model": net.state_dict(), "step": 7, "lr": 1e-3, "names": ["a", "b"], "pair": (1, 2.5),
           "view": base[:, 1::2], "t": base.T, "p": torch.nn.Parameter(torch.ones(2)), "empty": torch.zeros(0, 3),
           "bf16": torch.tensor([1.5, -2.0], dtype=torch.bfloat16), "half": torch.tensor([0.5], dtype=torch.float16),
           "i8": torch.tensor([-3], dtype=torch.int8), "b": torch.tensor([True, False]), "scalar": torch.tensor(3.0),
           "size": torch.Size([2, 3]), "dtype": torch.float64, "bytes": b"\x00\xff", "set": {1, 2}, "cx": 1 + 2j}
    obj["attr"] = torch.ones(2)
    obj["attr"].note = "kept"                                  # a tensor with a Python attribute
    path = tmp_path / "model.pt"
    torch.save(obj, path)
    back = tritorch.load(path)
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == list(net.state_dict())
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
        assert back["model"][k].dtype.name == str(v.dtype).split(".")[1]
    for k in ("view", "t", "empty", "half", "i8", "b", "scalar"):
        assert back[k].shape == tuple(obj[k].shape) and back[k].tolist() == obj[k].tolist(), k
    assert back["bf16"].dtype is tritorch.bfloat16 and back["bf16"].tolist() == [1.5, -2.0]
    assert isinstance(back["p"], tritorch.nn.Parameter) and back["p"].requires_grad
    assert (back["step"], back["lr"], back["names"], back["pair"]) == (7, 1e-3, ["a", "b"], (1, 2.5))
    assert back["size"] == (2, 3) and back["dtype"] is tritorch.float64
    assert (back["bytes"], back["set"], back["cx"], back["attr"].note) == (b"\x00\xff", {1, 2}, 1 + 2j, "kept")
    model = _net(tritorch)
    model.load_state_dict(back["model"])
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    net.eval(), model.eval()
    np.testing.assert_allclose(model(tritorch.tensor(x)).detach().numpy(),
                               net(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_tritorch_pt_file_loads_in_pytorch_default_load(tmp_path):
    torch = pytest.importorskip("torch")
    model = _net(tritorch)
    path = tmp_path / "model.pth"
    extra = {"model": model.state_dict(), "step": 3, "bf16": tritorch.ones(2, dtype=tritorch.bfloat16) * 1.5,
             "scalar": tritorch.tensor(2.0), "on_cuda": tritorch.arange(3.0, device="cuda"),
             "p": tritorch.nn.Parameter(tritorch.ones(2)), "t": tritorch.arange(6.0).reshape(2, 3).T}
    tritorch.save(extra, path)
    with zipfile.ZipFile(path) as zf:
        assert {"archive/data.pkl", "archive/byteorder", "archive/version"} <= set(zf.namelist())
    back = torch.load(path, map_location="cpu")            # weights_only=True: PyTorch's default
    net = _net(torch)
    net.load_state_dict(back["model"])
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    net.eval(), model.eval()
    np.testing.assert_allclose(net(torch.tensor(x)).detach().numpy(),
                               model(tritorch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert back["step"] == 3 and back["bf16"].dtype == torch.bfloat16 and back["bf16"].tolist() == [1.5, 1.5]
    assert back["scalar"].shape == () and back["on_cuda"].tolist() == [0.0, 1.0, 2.0]
    assert isinstance(back["p"], torch.nn.Parameter) and back["t"].tolist() == [[0, 3], [1, 4], [2, 5]]
    again = tritorch.load(path, map_location="cpu")          # and back into tritorch
    assert again["on_cuda"].device.type == "cpu" and tritorch.load(path)["on_cuda"].device.type == "cuda"


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


class _Exec:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


class _Point:
    def __init__(self, x):
        self.x = x


def _zip_with(pkl):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pkl)
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


def test_attack_files_stay_inert(tmp_path):
    marker = tmp_path / "PWNED"
    payloads = [pickle.dumps({"w": _Evil(str(marker))}, protocol=2),
                pickle.dumps(OrderedDict(w=_Exec(f"open({str(marker)!r}, 'w')")), protocol=2),
                b"\x80\x02cos\nsystem\nX\x0b\x00\x00\x00touch PWNEDq\x00\x85q\x01Rq\x02."]
    for i, pkl in enumerate(payloads):
        path = tmp_path / f"evil{i}.pt"
        path.write_bytes(_zip_with(pkl))
        with pytest.raises(RuntimeError, match="Unsupported global|cannot be loaded") as e:
            tritorch.load(path)
        assert str(path) in str(e.value)
    assert not marker.exists() and not (tmp_path / "PWNED").exists() and not os.path.exists("PWNED")
    tritorch.load(tmp_path / "evil0.pt", weights_only=False)   # the same file, trusted explicitly: it runs
    assert marker.exists()


def test_safe_globals_allow_a_class_and_weights_only_false_loads_whole_objects(tmp_path):
    path = tmp_path / "point.pt"
    tritorch.save({"pt": _Point(3), "w": tritorch.ones(2)}, path)
    with pytest.raises(RuntimeError, match=r"Unsupported global: GLOBAL .*_Point.*add_safe_globals"):
        tritorch.load(path)
    with tritorch.serialization.safe_globals([_Point]):
        assert tritorch.load(path)["pt"].x == 3
    with pytest.raises(RuntimeError, match="Unsupported global"):
        tritorch.load(path)                                   # the context manager's allowance ended
    assert tritorch.load(path, weights_only=False)["pt"].x == 3

    model = _net(tritorch)
    tritorch.save(model, tmp_path / "whole.pt")              # a whole module, as torch.save(model, ...)
    with pytest.raises(RuntimeError, match="Unsupported global"):
        tritorch.load(tmp_path / "whole.pt")
    whole = tritorch.load(tmp_path / "whole.pt", weights_only=False)
    x = tritorch.randn(2, 3)
    model.eval(), whole.eval()
    assert tritorch.equal(whole(x), model(x))

    arr = np.arange(5.0)
    tritorch.save(arr, tmp_path / "arr.pt")                  # numpy arrays: PyTorch's contract too
    np.testing.assert_array_equal(tritorch.load(tmp_path / "arr.pt", weights_only=False), arr)


def test_pytorch_reads_numpy_and_refuses_our_module_by_default(tmp_path):
    torch = pytest.importorskip("torch")
    tritorch.save(_net(tritorch), tmp_path / "whole.pt")
    with pytest.raises(Exception, match="Weights only load failed"):
        torch.load(tmp_path / "whole.pt")


def test_cuda_tensors_on_a_machine_without_cuda_need_map_location(tmp_path, monkeypatch):
    path = tmp_path / "gpu.pt"
    tritorch.save({"w": tritorch.ones(2, device="cuda")}, path)
    monkeypatch.setattr(tritorch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"deserialize object on a CUDA device \(cuda:0\).*map_location='cpu'"):
        tritorch.load(path)
    assert tritorch.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]


def test_truncated_or_mismatched_storage_is_a_clear_error(tmp_path):
    path = tmp_path / "w.pt"
    tritorch.save({"w": tritorch.ones(4)}, path)
    bad = tmp_path / "bad.pt"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, data[:-4] if info.filename.endswith("data/0") else data)
    with pytest.raises(RuntimeError, match=r"bad\.pt.*storage 0 holds 12 bytes, but the pickle announces 4 elements"):
        tritorch.load(bad)


def _legacy_header():
    return b"".join(pickle.dumps(x, protocol=2) for x in (
        0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                                       "type_sizes": {"short": 2, "int": 4, "long": 4}}))


def test_legacy_pytorch_format_loads(tmp_path):
    torch = pytest.importorskip("torch")
    net = _net(torch)
    base = torch.arange(12.0).reshape(3, 4)
    path = tmp_path / "old.pth"
    torch.save({"model": net.state_dict(), "view": base[1:, ::2], "p": torch.nn.Parameter(torch.ones(2)),
                "bf16": torch.tensor([1.5], dtype=torch.bfloat16), "s": torch.tensor(3.0), "epoch": 9}, path,
               _use_new_zipfile_serialization=False)
    back = tritorch.load(path)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
    assert back["view"].tolist() == [[4.0, 6.0], [8.0, 10.0]] and back["s"].shape == () and back["epoch"] == 9
    assert isinstance(back["p"], tritorch.nn.Parameter) and back["bf16"].tolist() == [1.5]
    data = path.read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[:-3])
    with pytest.raises(RuntimeError, match=r"cut\.pth.*(truncated|legacy)"):
        tritorch.load(tmp_path / "cut.pth")


def test_legacy_attack_and_oversized_storage_stay_inert(tmp_path):
    marker = tmp_path / "PWNED"
    path = tmp_path / "evil.pth"
    path.write_bytes(_legacy_header() + pickle.dumps({"w": _Evil(str(marker))}, protocol=2))
    with pytest.raises(RuntimeError, match="Unsupported global"):
        tritorch.load(path)
    assert not marker.exists()
    # a persistent id announcing 10**12 floats in a file of a few hundred bytes is refused before any allocation
    huge = (b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02(X\x07\x00\x00\x00storageq"
            b"\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06\x8a\x05\x00\x10\xa5\xd4"
            b"\xe8Ntq\x07QK\x00K\x01\x85K\x01\x85\x89ccollections\nOrderedDict\nq\x08)Rq\tt\x85Rq\ns.")
    path.write_bytes(_legacy_header() + huge)
    with pytest.raises(RuntimeError, match="more than the file holds"):
        tritorch.load(path)


def test_objects_safetensors_cannot_hold_go_to_pytorch_format_on_other_paths(tmp_path):
    model = _net(tritorch)
    tritorch.save(model, tmp_path / "model.model")             # any extension but .safetensors
    assert zipfile.is_zipfile(tmp_path / "model.model")
    assert isinstance(tritorch.load(tmp_path / "model.model", weights_only=False), tritorch.nn.Sequential)
    tritorch.save({"w": tritorch.ones(2)}, tmp_path / "state.model")   # a state dict still goes to safetensors
    assert not zipfile.is_zipfile(tmp_path / "state.model")
    with pytest.raises(TypeError, match="cannot store"):
        tritorch.save(model, tmp_path / "model.safetensors")
    with pytest.raises(TypeError, match="cannot store"):
        tritorch.save(model, io.BytesIO())
