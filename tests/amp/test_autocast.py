"""tritorch.autocast: which ops run in low precision, which in float32, and what is left alone."""
import numpy as np
import pytest

import tritorch as torch
import tritorch.nn as nn
import tritorch.nn.functional as F
from tritorch.amp.autocast import autocast_args


def test_lower_precision_and_float32_ops_on_cuda():
    torch.manual_seed(0)
    x, w = torch.randn(3, 8, device="cuda"), torch.randn(4, 8, device="cuda")
    img, k = torch.randn(1, 2, 5, 5, device="cuda"), torch.randn(3, 2, 3, 3, device="cuda")
    q = torch.randn(1, 2, 4, 8, device="cuda")
    target = torch.tensor([0, 1, 3], device="cuda")
    with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
        low = {"linear": F.linear(x, w), "matmul": x @ w.T, "mm": torch.mm(x, w.T), "conv2d": F.conv2d(img, k),
               "conv1d": F.conv1d(img[:, :, 0], k[:, :, 0]), "sdpa": F.scaled_dot_product_attention(q, q, q)}
        logits = F.linear(x, w)
        fp32 = {"softmax": logits.softmax(-1), "log_softmax": F.log_softmax(logits, -1),
                "layer_norm": F.layer_norm(logits, (4,)), "cross_entropy": F.cross_entropy(logits, target),
                "mse_loss": F.mse_loss(logits, logits.detach()), "sum": logits.sum()}
        untouched = logits + logits
        averaged = logits.mean()                                  # mean is not on PyTorch's float32 list
    assert averaged.dtype is torch.bfloat16
    assert {n: t.dtype for n, t in low.items()} == {n: torch.bfloat16 for n in low}
    assert {n: t.dtype for n, t in fp32.items()} == {n: torch.float32 for n in fp32}
    assert untouched.dtype is torch.bfloat16                      # unlisted ops: the dtypes they are given
    assert F.linear(x, w).dtype is torch.float32                   # off again outside the region
    np.testing.assert_allclose(low["linear"].float().cpu().numpy(), (x @ w.T).cpu().numpy(), rtol=2e-2, atol=5e-2)


def test_float64_cpu_tensors_and_disabled_regions_are_left_alone():
    x64 = torch.randn(3, 4, dtype=torch.float64, device="cuda")
    xc = torch.randn(3, 4)
    with torch.autocast("cuda", dtype=torch.float16):
        assert (x64 @ x64.T).dtype is torch.float64
        assert (xc @ xc.T).dtype is torch.float32                  # cuda autocast does not touch cpu tensors
        assert torch.is_autocast_enabled("cuda") and torch.get_autocast_dtype("cuda") is torch.float16
        with torch.autocast("cuda", enabled=False):
            assert not torch.is_autocast_enabled("cuda")
            assert (x64.float() @ x64.float().T).dtype is torch.float32
        assert (x64.float() @ x64.float().T).dtype is torch.float16
    with torch.autocast("cpu"):                                     # bfloat16 by default on the cpu
        assert (xc @ xc.T).dtype is torch.bfloat16
    assert not torch.is_autocast_enabled("cuda") and not torch.is_autocast_enabled("cpu")


def test_decorator_default_dtype_and_unsupported_dtype():
    @torch.autocast("cuda")
    def f(a):
        return a @ a.T

    assert f(torch.ones(2, 3, device="cuda")).dtype is torch.float16  # PyTorch's cuda default
    with pytest.warns(UserWarning, match="Disabling autocast"):
        region = torch.autocast("cuda", dtype=torch.float64)
    with region:
        assert not torch.is_autocast_enabled("cuda")
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        torch.autocast("tpu")


def test_backward_runs_in_the_forward_dtypes_and_matches_float32():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.LayerNorm(16), nn.Linear(16, 3)).cuda()
    x, y = torch.randn(5, 8, device="cuda"), torch.tensor([0, 2, 1, 1, 0], device="cuda")
    loss32 = F.cross_entropy(model(x), y)
    loss32.backward()
    ref = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = F.cross_entropy(model(x), y)
        loss.backward()                                           # inside the region: still the forward's dtypes
    assert loss.dtype is torch.float32
    for p, r in zip(model.parameters(), ref):
        assert p.grad.dtype is torch.float32 and p.grad.device.type == "cuda"
        np.testing.assert_allclose(p.grad.cpu().numpy(), r.cpu().numpy(), rtol=0.1, atol=2e-2)


def test_parameter_casts_are_cached_until_the_parameter_changes():
    w = torch.randn(4, 4, device="cuda", requires_grad=True)
    x = torch.randn(4, 4, device="cuda")
    with torch.autocast("cuda", dtype=torch.bfloat16):
        a, = autocast_args("linear", w)
        b, = autocast_args("matmul", w)
        assert a is b and a.dtype is torch.bfloat16
        assert autocast_args("linear", x)[0] is not autocast_args("linear", x)[0]  # not a leaf parameter
        with torch.no_grad():
            w.mul_(2)
        c, = autocast_args("linear", w)
        assert c is not a
        np.testing.assert_allclose(c.detach().float().cpu().numpy(), 2 * a.detach().float().cpu().numpy())
    with torch.autocast("cuda", dtype=torch.bfloat16):
        assert autocast_args("linear", w)[0] is not c              # the cache lives as long as the region
