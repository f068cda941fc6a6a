"""Names outside a framework's job do the honest thing: jit, compile, onnx, hub; and PyTorch's module paths."""
import importlib

import pytest

import tritorch as torch


def _net():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def test_jit_returns_what_it_is_given():
    net = _net()
    x = torch.randn(5, 3)
    assert torch.jit.script(net) is net and torch.jit.trace(net, (x,)) is net

    @torch.jit.script
    def f(a):
        return a * 2 if a.sum() > 0 else a      # data-dependent: a real trace would freeze one branch

    assert torch.equal(f(torch.ones(2)), torch.full((2,), 2.0)) and torch.equal(f(-torch.ones(2)), -torch.ones(2))

    class M(torch.nn.Module):
        @torch.jit.ignore
        def a(self):
            return 1

        @torch.jit.ignore(drop=True)
        def b(self):
            return 2

        @torch.jit.unused
        def c(self):
            return 3

        @torch.jit.export
        def d(self):
            return 4

    m = M()
    assert (m.a(), m.b(), m.c(), m.d()) == (1, 2, 3, 4)
    assert torch.jit.is_scripting() is False and torch.jit.is_tracing() is False
    with pytest.raises(NotImplementedError, match="TorchScript"):
        torch.jit.load("model.pt")


def test_compile_keeps_behaviour():
    net = _net()
    x = torch.randn(4, 3)
    compiled = torch.compile(net, mode="max-autotune", fullgraph=False, dynamic=True)
    assert torch.equal(compiled(x), net(x)) and list(compiled.state_dict()) == list(net.state_dict())

    @torch.compile(fullgraph=True)
    def g(a):
        return a.relu() + 1

    @torch.compile
    def h(a):
        return a - 1

    assert torch.equal(g(x), x.relu() + 1) and torch.equal(h(x), x - 1)
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        torch.compile(net, mode="fastest")
    assert torch.compiler.is_compiling() is False and torch.compiler.disable(h) is h


def test_onnx_imports_and_export_says_it_cannot():
    import tritorch.onnx
    with pytest.raises(NotImplementedError, match="cannot export ONNX"):
        tritorch.onnx.export(_net(), (torch.randn(1, 3),), "net.onnx", opset_version=17)


def test_hub_reads_file_urls_and_cache_and_fails_clearly_offline(tmp_path, monkeypatch):
    net = _net()
    path = tmp_path / "weights-0123.pt"
    torch.save(net.state_dict(), str(path))
    sd = torch.hub.load_state_dict_from_url(path.as_uri(), map_location="cpu")
    assert all(torch.equal(sd[k], v) for k, v in net.state_dict().items())

    monkeypatch.setattr(torch.hub, "_dir", str(tmp_path / "hub"))
    cached = tmp_path / "hub" / "checkpoints" / "net.safetensors"
    cached.parent.mkdir(parents=True)
    torch.save(net.state_dict(), str(cached))
    sd = torch.hub.load_state_dict_from_url("http://127.0.0.1:9/models/net.safetensors")   # served from the cache
    assert set(sd) == set(net.state_dict())

    with pytest.raises(RuntimeError, match=r"cannot download http://127\.0\.0\.1:9/x\.pt: .*offline"):
        torch.hub.load_state_dict_from_url("http://127.0.0.1:9/x.pt")      # port 9: refused at once
    assert not (tmp_path / "hub" / "checkpoints" / "x.pt").exists()
    with pytest.raises(RuntimeError, match="invalid hash value"):
        torch.hub.load_state_dict_from_url((tmp_path / "weights-ffff.pt").as_uri() if (tmp_path / "weights-ffff.pt")
                                           .write_bytes(path.read_bytes()) else None, check_hash=True)
    with pytest.raises(RuntimeError, match="refuses"):
        torch.hub.load("pytorch/vision", "resnet18")


@pytest.mark.parametrize("path, name", [
    ("nn.modules.activation", "MultiheadAttention"), ("nn.modules.linear", "Linear"),
    ("nn.modules.linear", "NonDynamicallyQuantizableLinear"), ("nn.modules.conv", "Conv2d"),
    ("nn.modules.loss", "CrossEntropyLoss"), ("nn.modules.batchnorm", "BatchNorm2d"),
    ("nn.modules.batchnorm", "_BatchNorm"), ("nn.modules.module", "Module"), ("nn.modules.dropout", "Dropout"),
    ("nn.modules.sparse", "Embedding"), ("nn.modules.container", "ModuleList"), ("nn.modules.rnn", "LSTM"),
    ("nn.modules.normalization", "LayerNorm"), ("nn.modules.transformer", "TransformerEncoderLayer"),
    ("nn.modules.pixelshuffle", "PixelShuffle"), ("nn.modules.instancenorm", "_InstanceNorm"),
    ("nn.parameter", "Parameter"),
])
def test_pytorch_module_paths(path, name):
    module = importlib.import_module(f"tritorch.{path}")
    assert isinstance(getattr(module, name), type)
    if not name.startswith("_") and hasattr(torch.nn, name):
        assert getattr(module, name) is getattr(torch.nn, name)


def test_hub_reads_a_file_pytorch_already_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setattr(torch.hub, "_dir", None)
    theirs = tmp_path / "xdg" / "torch" / "hub" / "checkpoints" / "resnet-abc.pth"
    theirs.parent.mkdir(parents=True)
    torch.save({"w": torch.arange(3.0)}, str(theirs))
    sd = torch.hub.load_state_dict_from_url("http://127.0.0.1:9/resnet-abc.pth")   # never contacted
    assert sd["w"].tolist() == [0.0, 1.0, 2.0]
    assert torch.hub.get_dir() == str(tmp_path / "xdg" / "tritorch" / "hub")
