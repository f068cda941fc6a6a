"""Small PyTorch names programs use: finfo/iinfo, memory formats, version, random, Tensor device
attributes and legacy new(), set_default_tensor_type, autocast getters, testing.assert_close,
multiprocessing.spawn, nn.attention.sdpa_kernel."""
import os

import pytest

import tritorch as torch


def test_finfo_iinfo_match_pytorch():
    oracle = pytest.importorskip("torch")
    for name in ("float16", "bfloat16", "float32", "float64"):
        ours, theirs = torch.finfo(getattr(torch, name)), oracle.finfo(getattr(oracle, name))
        for f in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(ours, f) == getattr(theirs, f), (name, f)
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        ours, theirs = torch.iinfo(getattr(torch, name)), oracle.iinfo(getattr(oracle, name))
        assert (ours.bits, ours.min, ours.max) == (theirs.bits, theirs.min, theirs.max)
    assert torch.finfo().eps == oracle.finfo().eps
    with pytest.raises(TypeError):
        torch.finfo(torch.int32)


def test_tensor_device_attributes_and_new():
    oracle = pytest.importorskip("torch")
    for lib in (torch, oracle):
        x = lib.ones(2, dtype=lib.float64)
        assert x.get_device() == -1 and x.is_cpu and not x.is_xpu and not x.is_complex() and not x.is_sparse
        assert tuple(x.new(2, 3).shape) == (2, 3) and x.new(2, 3).dtype == lib.float64
        assert x.new([1, 2]).dtype == lib.float64 and tuple(x.new().shape) == (0,)
        assert not x.is_pinned()
    assert torch.ones(2, device="cuda").get_device() == 0
    assert torch.ones(2, device="cuda").new(3).device.type == "cuda"
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        torch.ones(2, device="cuda").pin_memory()


def test_memory_formats_version_random():
    x = torch.randn(2, 3, 4, 5)
    assert torch.equal(x.to(memory_format=torch.channels_last), x)
    assert torch.equal(x.contiguous(memory_format=torch.contiguous_format), x)
    assert repr(torch.channels_last) == "torch.channels_last"
    assert torch.version.__version__ == torch.__version__ and torch.version.cuda is None
    torch.random.manual_seed(5)
    a = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(a, torch.rand(3))


def test_set_default_tensor_type_and_autocast_getters():
    try:
        torch.set_default_tensor_type("torch.cuda.DoubleTensor")
        x = torch.zeros(2)
        assert x.dtype is torch.float64 and x.device.type == "cuda"
    finally:
        torch.set_default_tensor_type(torch.FloatTensor)
    assert torch.zeros(1).dtype is torch.float32 and torch.zeros(1).device.type == "cpu"
    with pytest.raises(TypeError):
        torch.set_default_tensor_type(torch.LongTensor)
    assert torch.get_autocast_gpu_dtype() is torch.float16 and torch.get_autocast_cpu_dtype() is torch.bfloat16
    with torch.autocast("cpu"):
        assert torch.is_autocast_cpu_enabled()
    assert not torch.is_autocast_cpu_enabled()


def test_assert_close_messages_match_pytorch():
    oracle = pytest.importorskip("torch")
    cases = [([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], {}), ([1, 2], [1, 3], {}), ([1.0, 2.0], [1.0, 2.0 + 1e-6], {}),
             ([1.0, 2.0], [1.1, 2.0], dict(rtol=0.2, atol=0.0))]
    for a, e, kw in cases:
        got = []
        for lib in (torch, oracle):
            try:
                lib.testing.assert_close(lib.tensor(a), lib.tensor(e), **kw)
                got.append(None)
            except AssertionError as err:
                got.append(str(err).split("\n")[:3])      # the headline and the mismatch count
        assert got[0] == got[1], (a, e, got)
    with pytest.raises(AssertionError, match="attribute 'dtype' do not match"):
        torch.testing.assert_close(torch.ones(2), torch.ones(2, dtype=torch.float64))
    with pytest.raises(AssertionError, match=r"The failure occurred for item \['w'\]"):
        torch.testing.assert_close({"w": torch.ones(2)}, {"w": torch.zeros(2)})
    torch.testing.assert_allclose(torch.tensor([float("nan"), 1.0]), [float("nan"), 1.0])


def _write_rank(rank, folder):
    with open(os.path.join(folder, f"rank{rank}"), "w") as fh:
        fh.write(str(rank))


def _fail(rank):
    if rank == 1:
        raise ValueError("rank one failed")


def test_multiprocessing_spawn(tmp_path):
    torch.multiprocessing.spawn(_write_rank, args=(str(tmp_path),), nprocs=2, start_method="fork")
    assert sorted(os.listdir(tmp_path)) == ["rank0", "rank1"]
    with pytest.raises(torch.multiprocessing.ProcessRaisedException, match="rank one failed"):
        torch.multiprocessing.spawn(_fail, nprocs=2, start_method="fork")


def test_sdpa_kernel_selects_reported_backends():
    from tritorch.nn.attention import SDPBackend, sdpa_kernel
    q = torch.randn(1, 2, 4, 8)
    ref = torch.nn.functional.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel([SDPBackend.MATH]):
        assert torch.backends.cuda.math_sdp_enabled() and not torch.backends.cuda.flash_sdp_enabled()
        assert torch.equal(torch.nn.functional.scaled_dot_product_attention(q, q, q), ref)
    assert torch.backends.cuda.flash_sdp_enabled()
    with pytest.raises(ValueError):
        with sdpa_kernel([]):
            pass


def test_resize_like_pytorch():
    oracle = pytest.importorskip("torch")
    for lib in (torch, oracle):
        x = lib.arange(6.0)
        assert x.resize_(2, 2) is x and x.tolist() == [[0.0, 1.0], [2.0, 3.0]]
        y = lib.arange(4.0).resize_(3, 2)
        assert tuple(y.shape) == (3, 2) and y[:2].tolist() == [[0.0, 1.0], [2.0, 3.0]]
        assert tuple(lib.empty(5).resize_(0).shape) == (0,)
        assert tuple(lib.ones(2, 3).resize_as_(lib.ones(3)).shape) == (3,)
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            lib.ones(2, requires_grad=True).resize_(3)
