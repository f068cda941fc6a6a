"""Oracle: nn.utils.rnn (pad/pack helpers) and RNN/LSTM/GRU on PackedSequence against PyTorch."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
from tritorch.nn.utils import rnn as R

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn


def _seqs(rng, lengths, feat=3):
    return [rng.standard_normal((n, feat)).astype(np.float32) for n in lengths]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side, rng):
    seqs = _seqs(rng, [2, 5, 1])
    ours = R.pad_sequence([tritorch.tensor(s) for s in seqs], batch_first, -1.0, side)
    theirs = TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first, -1.0, side)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 3, 1]), (False, [2, 5, 1, 4])])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_round_trip(enforce_sorted, lengths, batch_first, rng):
    seqs = _seqs(rng, lengths)
    x = R.pad_sequence([tritorch.tensor(s) for s in seqs], batch_first)
    x.requires_grad_(True)
    y = TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first).requires_grad_(True)
    p = R.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    q = TR.pack_padded_sequence(y, torch.tensor(lengths), batch_first, enforce_sorted)
    np.testing.assert_array_equal(p.data.detach().numpy(), q.data.detach().numpy())
    np.testing.assert_array_equal(p.batch_sizes.numpy(), q.batch_sizes.numpy())
    for a, b in ((p.sorted_indices, q.sorted_indices), (p.unsorted_indices, q.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    out, n = R.pad_packed_sequence(p, batch_first, padding_value=7.0, total_length=6)
    out_t, n_t = TR.pad_packed_sequence(q, batch_first, padding_value=7.0, total_length=6)
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_array_equal(n.numpy(), n_t.numpy())
    assert n.dtype == tritorch.int64
    g = rng.standard_normal(out_t.shape).astype(np.float32)
    out.backward(tritorch.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy())
    back = R.unpack_sequence(R.pack_sequence([tritorch.tensor(s) for s in seqs], enforce_sorted=False))
    for a, b in zip(back, seqs):
        np.testing.assert_array_equal(a.numpy(), b)


def test_pack_errors():
    x, y = tritorch.zeros(3, 2, 1), torch.zeros(3, 2, 1)
    for args, kw in (([1, 2], {}), ([3, 0], dict(enforce_sorted=False)), ([3], {})):
        with pytest.raises(Exception) as ours:
            R.pack_padded_sequence(x, args, **kw)
        with pytest.raises(Exception) as theirs:
            TR.pack_padded_sequence(y, args, **kw)
        assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        R.pad_packed_sequence(R.pack_padded_sequence(x, [3, 2]), total_length=2)


def _copy_weights(ours, theirs):
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.tensor(getattr(ours, name).detach().cpu().numpy()))


@pytest.mark.parametrize("cls,bidirectional,layers,device", [
    (c, b, n, "cpu") for c in ("RNN", "LSTM", "GRU") for b, n in ((False, 1), (True, 2))] + [
    ("LSTM", True, 1, "cuda"), ("GRU", False, 1, "cuda")])
def test_rnn_on_packed_sequence(cls, bidirectional, layers, device, rng):
    lengths = [3, 5, 1, 4]
    ours = getattr(nn, cls)(3, 4, num_layers=layers, bidirectional=bidirectional, batch_first=True).to(device)
    theirs = getattr(torch.nn, cls)(3, 4, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    _copy_weights(ours, theirs)
    seqs = _seqs(rng, lengths)
    x = R.pad_sequence([tritorch.tensor(s) for s in seqs], True).to(device).requires_grad_(True)
    y = TR.pad_sequence([torch.tensor(s) for s in seqs], True).requires_grad_(True)
    rows = layers * (2 if bidirectional else 1)
    h0 = rng.standard_normal((rows, 4, 4)).astype(np.float32)
    hx = tritorch.tensor(h0, device=device)
    hy = torch.tensor(h0)
    if cls == "LSTM":
        hx, hy = (hx, tritorch.tensor(h0 * 0.5, device=device)), (hy, torch.tensor(h0 * 0.5))
    out, h = ours(R.pack_padded_sequence(x, lengths, True, enforce_sorted=False), hx)
    out_t, h_t = theirs(TR.pack_padded_sequence(y, lengths, True, enforce_sorted=False), hy)
    assert isinstance(out, R.PackedSequence)
    np.testing.assert_allclose(out.data.detach().cpu().numpy(), out_t.data.detach().numpy(), rtol=1e-5, atol=1e-5)
    hs, hs_t = (h, h_t) if cls == "LSTM" else ((h,), (h_t,))
    for a, b in zip(hs, hs_t):
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)
    padded, _ = R.pad_packed_sequence(out, batch_first=True)
    padded_t, _ = TR.pad_packed_sequence(out_t, batch_first=True)
    loss = (padded * padded).sum() + sum((a * a).sum() for a in hs)
    loss_t = (padded_t * padded_t).sum() + sum((a * a).sum() for a in hs_t)
    loss.backward()
    loss_t.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), y.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad.cpu().numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5)
