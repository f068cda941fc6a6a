"""Oracle: nn.EmbeddingBag / F.embedding_bag against PyTorch (values and weight grads)."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F

torch = pytest.importorskip("torch")


def _run(rng, device, mode, two_d, psw, padding_idx, include_last):
    w = rng.standard_normal((9, 4)).astype(np.float32)
    if two_d:
        idx, offs = rng.integers(0, 9, (3, 5)), None
    else:
        idx = rng.integers(0, 9, 11)
        offs = np.array([0, 3, 3, 8] + ([11] if include_last else []))  # bag 1 is empty
    if padding_idx is not None:
        idx.reshape(-1)[::3] = padding_idx
    sw = rng.standard_normal(idx.shape).astype(np.float32) if psw else None
    kw = dict(mode=mode, padding_idx=padding_idx, include_last_offset=include_last)
    wa = tritorch.tensor(w, device=device, requires_grad=True)
    wb = torch.tensor(w, requires_grad=True)
    ours = F.embedding_bag(tritorch.tensor(idx, device=device), wa,
                           None if offs is None else tritorch.tensor(offs, device=device),
                           per_sample_weights=None if sw is None else tritorch.tensor(sw, device=device), **kw)
    theirs = torch.nn.functional.embedding_bag(torch.tensor(idx), wb, None if offs is None else torch.tensor(offs),
                                               per_sample_weights=None if sw is None else torch.tensor(sw), **kw)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = rng.standard_normal(theirs.shape).astype(np.float32)
    ours.backward(tritorch.tensor(g, device=device))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(wa.grad.cpu().numpy(), wb.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("two_d", [False, True])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_modes(mode, two_d, padding_idx, rng):
    _run(rng, "cpu", mode, two_d, False, padding_idx, False)


def test_embedding_bag_per_sample_weights_and_last_offset(rng):
    _run(rng, "cpu", "sum", False, True, None, True)
    _run(rng, "cpu", "sum", True, True, 0, False)


@pytest.mark.parametrize("mode", ["mean", "max"])
def test_embedding_bag_on_cuda(mode, rng):
    _run(rng, "cuda", mode, False, False, 2, False)


def test_embedding_bag_module_and_errors():
    ours, theirs = nn.EmbeddingBag(10, 3, mode="max"), torch.nn.EmbeddingBag(10, 3, mode="max")
    assert repr(ours) == repr(theirs)
    assert ours(tritorch.tensor([[1, 2], [3, 4]])).shape == (2, 3)
    cases = [((tritorch.tensor([1, 2]),), dict(mode="mean", per_sample_weights=tritorch.ones(2),
                                               offsets=tritorch.tensor([0]))),
             ((tritorch.tensor([[1, 2]]),), dict(offsets=tritorch.tensor([0]))),
             ((tritorch.tensor([1, 2]),), {}), ((tritorch.tensor([1, 2]),), dict(offsets=tritorch.tensor([0]),
                                                                                 mode="min"))]
    for args, kw in cases:
        tkw = {k: torch.tensor(v.numpy()) if isinstance(v, tritorch.Tensor) else v for k, v in kw.items()}
        with pytest.raises(Exception) as a:
            F.embedding_bag(*args, tritorch.ones(5, 2), **kw)
        with pytest.raises(Exception) as b:
            torch.nn.functional.embedding_bag(torch.tensor(args[0].numpy()), torch.ones(5, 2), **tkw)
        assert type(a.value) is type(b.value)
        assert str(a.value).replace("tritorch.tensor.", "torch.") == str(b.value)
