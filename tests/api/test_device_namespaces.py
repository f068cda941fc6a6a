"""torch.cuda / torch.accelerator / torch.backends / global switches, as programs call them."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import tritorch as torch


def test_import_queries_no_device_and_no_gpu_means_unavailable():
    code = ("import sys, tritorch as torch, tritorch.cuda, tritorch.backends, tritorch.accelerator\n"
            "assert 'cuda.bindings' not in sys.modules and 'cuda.bindings.driver' not in sys.modules\n"
            "print(torch.cuda.is_available(), torch.accelerator.is_available(), torch.accelerator.device_count(),\n"
            "      torch.accelerator.current_accelerator(), torch.cuda.is_bf16_supported(),\n"
            "      torch.cuda.memory_reserved(),\n"
            "      torch.cuda.empty_cache(), torch.cuda.manual_seed(1), torch.backends.mps.is_available())\n")
    env = {k: v for k, v in os.environ.items() if k not in ("TRITON_INTERPRET", "TRITORCH_REAL_GPU")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False", "0", "None", "False", "0", "None", "None", "False"]


def test_cuda_names_on_the_emulated_device():
    assert torch.cuda.is_available() and torch.cuda.device_count() == 1 and torch.cuda.is_initialized()
    torch.cuda.manual_seed(3)
    a = torch.randn(5, device="cuda")
    torch.cuda.manual_seed_all(3)
    assert torch.equal(a.cpu(), torch.randn(5, device="cuda").cpu())
    with torch.cuda.device(0), torch.cuda.device("cuda:0"), torch.cuda.device(None):
        assert torch.cuda.current_device() == 0
    torch.cuda.set_device(torch.device("cuda:0"))
    props = torch.cuda.get_device_properties(0)
    assert props.name == props["name"] == torch.cuda.get_device_name("cuda:0")
    assert props.total_memory > 0 and (props.major, props.minor) == torch.cuda.get_device_capability(0)
    assert torch.cuda.is_bf16_supported()
    x = torch.ones(1000, device="cuda")
    assert torch.cuda.memory_reserved() >= x.numel() * 4
    assert torch.cuda.max_memory_reserved() >= torch.cuda.memory_reserved()
    torch.cuda.empty_cache()
    torch.cuda.synchronize("cuda:0")
    with pytest.raises(ValueError, match="Expected a cuda device"):
        torch.cuda.set_device("cpu")


def test_cuda_amp_aliases_warn_and_work():
    with pytest.warns(FutureWarning, match=r"torch\.cuda\.amp\.GradScaler\(args...\)` is deprecated"):
        scaler = torch.cuda.amp.GradScaler(init_scale=8.0)
    assert isinstance(scaler, torch.amp.GradScaler) and scaler.get_scale() == 8.0
    with pytest.warns(FutureWarning, match="torch.cuda.amp.autocast"):
        ctx = torch.cuda.amp.autocast()
    a = torch.randn(4, 4, device="cuda")
    with ctx:
        assert (a @ a).dtype is torch.float16
    assert (a @ a).dtype is torch.float32


def test_accelerator():
    assert torch.accelerator.is_available() and torch.accelerator.device_count() == 1
    assert torch.accelerator.current_accelerator().type == "cuda"
    assert torch.accelerator.current_device_index() == 0
    torch.accelerator.set_device_index(0)
    with torch.accelerator.device_index(0):
        torch.accelerator.synchronize()
    dev = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
    assert torch.zeros(2, device=dev).device.type == "cuda"


def test_backends_flags_match_pytorch_defaults_and_tf32_follows_precision():
    oracle = pytest.importorskip("torch")
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(torch.backends.cudnn, name) == getattr(oracle.backends.cudnn, name), name
    assert torch.backends.mps.is_available() is False and torch.backends.mps.is_built() is False
    assert torch.get_float32_matmul_precision() == oracle.get_float32_matmul_precision() == "highest"
    assert torch.backends.cuda.matmul.allow_tf32 == oracle.backends.cuda.matmul.allow_tf32 is False
    # PyTorch's documented mapping (its 2.13 refuses to mix these legacy and new calls in one process)
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        assert torch.get_float32_matmul_precision() == "high"
        torch.set_float32_matmul_precision("medium")
        assert torch.backends.cuda.matmul.allow_tf32 is True
        torch.backends.cuda.matmul.allow_tf32 = False
        assert torch.get_float32_matmul_precision() == "highest"
    finally:
        torch.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="Invalid precision"):
        torch.set_float32_matmul_precision("fast")


def test_matmul_precision_reaches_the_cuda_kernel(monkeypatch):
    from tritorch._dispatch.cuda import linalg
    seen = []
    real = linalg._matmul
    monkeypatch.setattr(linalg, "_matmul", lambda a, b, **kw: seen.append(kw["precision"]) or real(a, b, **kw))
    a = torch.randn(3, 3, device="cuda")
    try:
        a @ a
        torch.backends.cuda.matmul.allow_tf32 = True
        a @ a
    finally:
        torch.set_float32_matmul_precision("highest")
    assert seen == ["ieee", "tf32"]


def test_default_device_is_honoured_by_creation_functions(rng):
    assert torch.get_default_device() == torch.device("cpu")
    torch.set_default_device("cuda")
    try:
        made = [torch.zeros(2), torch.ones(2, 3), torch.empty(1), torch.randn(2), torch.rand(2), torch.arange(3),
                torch.tensor([1.0]), torch.full((2,), 1.0), torch.randint(5, (2,)), torch.linspace(0, 1, 3),
                torch.eye(2), torch.as_tensor(rng.standard_normal(3).astype(np.float32)), torch.logspace(0, 1, 3),
                torch.normal(0.0, 1.0, size=(2,)), torch.randperm(3), torch.nn.Linear(2, 3).weight,
                torch.nn.BatchNorm1d(3).running_mean]
        assert all(t.device.type == "cuda" for t in made), [t.device for t in made]
        assert torch.get_default_device().type == "cuda"
        assert torch.zeros(1, device="cpu").device.type == "cpu"
    finally:
        torch.set_default_device("cpu")
    assert torch.zeros(1).device.type == "cpu"


def test_deterministic_and_threads():
    assert torch.are_deterministic_algorithms_enabled() is False
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert torch.are_deterministic_algorithms_enabled() and torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
    assert torch.get_num_threads() >= 1
    n = torch.get_num_threads()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.set_num_threads(1)
        assert torch.get_num_threads() == 1
        torch.set_num_threads(n)
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:       # without the extra, the call says it cannot limit BLAS (never silent)
        assert any("threadpoolctl" in str(w.message) for w in caught)


def test_constants_and_predicates():
    oracle = pytest.importorskip("torch")
    for name in ("pi", "e", "inf"):
        assert getattr(torch, name) == getattr(oracle, name)
    x = torch.ones(2, 3)
    assert torch.is_tensor(x) and not torch.is_tensor([1]) and torch.numel(x) == 6


def test_cuda_manual_seed_without_cuda_leaves_cpu_draws_alone(monkeypatch):
    runtime = sys.modules["tritorch.cuda.device"]   # tritorch.cuda.device is PyTorch's context manager
    monkeypatch.setattr(runtime, "is_available", lambda: False)
    torch.manual_seed(1)
    a = torch.randn(3)
    torch.manual_seed(1)
    with warnings.catch_warnings():
        torch.cuda.manual_seed(99)
    assert torch.equal(a, torch.randn(3))


def test_streams_and_events_take_pytorch_keywords():
    s = torch.cuda.Stream(device=0, priority=-1)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True, blocking=True)
    with torch.cuda.stream(s):
        start.record()
        y = torch.ones(64, device="cuda") * 2
        end.record()
    end.synchronize()
    assert start.elapsed_time(end) >= 0 and y.sum().item() == 128
    torch.cuda.current_stream().wait_stream(s)
    with pytest.raises(NotImplementedError, match="IPC"):
        torch.cuda.Event(interprocess=True)


def test_device_as_context_manager():
    with torch.device("cuda"):
        assert torch.zeros(2).device.type == "cuda" and torch.nn.Linear(2, 2).weight.device.type == "cuda"
        with torch.device("cpu"):
            assert torch.ones(1).device.type == "cpu"
        assert torch.ones(1).device.type == "cuda"
    assert torch.zeros(1).device.type == "cpu" and torch.get_default_device().type == "cpu"
