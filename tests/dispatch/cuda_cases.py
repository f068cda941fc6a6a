"""What the cuda backend tests share: CPU/cuda pairs of random tensors and an exact-or-tolerant
comparison of a cuda result with the CPU backend's."""
import ml_dtypes
import numpy as np

import tritorch as torch

FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
TOL = {torch.float64: 1e-12, torch.float32: 2e-6, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}


def host(t):
    a = t.detach().cpu().numpy()
    return a.astype(np.float64) if a.dtype in (np.float16, ml_dtypes.bfloat16) else a


def assert_same(gpu, cpu, tol=0.0):
    """gpu (a cuda tensor) equals cpu (a cpu tensor) in dtype, shape and values (NaNs match)."""
    assert gpu.device.type == "cuda", gpu.device
    assert gpu.dtype is cpu.dtype and gpu.shape == cpu.shape, (gpu.dtype, cpu.dtype, gpu.shape, cpu.shape)
    a, b = host(gpu), host(cpu)
    if a.dtype.kind in "biu" or tol == 0:
        np.testing.assert_array_equal(a, b)
        return
    bad = ~np.isclose(a, b, rtol=tol, atol=tol, equal_nan=True)
    assert not bad.any(), f"{bad.sum()} mismatches, e.g. got {a[bad][:4]} expected {b[bad][:4]}"


def pair(*shape, dtype=torch.float32, scale=2.0, special=True):
    """(cpu, cuda) copies of a random tensor, with NaN/inf/0 planted when `special`."""
    x = torch.randn(*shape, dtype=torch.float64) * scale
    if special and x.numel() >= 6:
        flat = x.view(-1)
        flat[:6] = torch.tensor([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 0.5])
    x = x.to(dtype)
    return x, x.to("cuda")


def count_copies(monkeypatch, kind=None):
    """A list that records the kind ("htod", "dtoh", "dtod") of every copy the runtime makes from now
    on (only those of ``kind`` when given): what proves a step stays on the device."""
    from tritorch.cuda import transfer
    copies, real = [], transfer._memcpy

    def counting(dst, src, nbytes, what):
        if kind is None or what == kind:
            copies.append(what)
        return real(dst, src, nbytes, what)
    monkeypatch.setattr(transfer, "_memcpy", counting)
    return copies
