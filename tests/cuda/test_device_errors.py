"""Out-of-range indices on the device: clamped in the kernel, raised at the next synchronisation."""
import numpy as np
import pytest

import tritorch as torch
from tritorch import cuda
from tritorch.cuda import DeviceIndexError


@pytest.fixture(autouse=True)
def clean_flag():
    cuda.synchronize()  # no flag left over from another test
    yield
    try:
        cuda.synchronize()
    except DeviceIndexError:
        pass


@pytest.mark.parametrize("op", [
    lambda w, i: w[i],                                              # advanced indexing (gather)
    lambda w, i: w.index_select(0, i),
    lambda w, i: torch.nn.functional.embedding(i, w),
    lambda w, i: w.gather(0, i[:, None].expand(-1, 3)),
    lambda w, i: w.clone().index_put_((i,), torch.ones(3, 3, device="cuda")),   # scatter
    lambda w, i: w.index_add(0, i, torch.ones(3, 3, device="cuda")),            # segmented sums
])
def test_out_of_range_index_raises_at_the_next_host_read(op, rng):
    w = torch.tensor(rng.standard_normal((5, 3)).astype(np.float32)).cuda()
    bad = torch.tensor([0, 5, 1]).cuda()
    out = op(w, bad) * 2                                            # no error yet: the device runs on
    with pytest.raises(DeviceIndexError, match="index out of range on the device"):
        out.sum().item()
    assert out.cpu().shape == out.shape                             # raised once, then cleared
    good = torch.tensor([0, 4, 2]).cuda()
    np.testing.assert_array_equal(op(w, good).cpu().numpy(), op(w.cpu(), good.cpu()).numpy())


def test_negative_indices_wrap_where_pytorch_allows_them_and_flag_in_embedding():
    w = torch.arange(5.0).cuda()
    assert w[torch.tensor([-5, -1]).cuda()].tolist() == [0.0, 4.0]    # no error: -5 is in range
    table = torch.zeros(5, 2).cuda()
    out = torch.nn.functional.embedding(torch.tensor([-1]).cuda(), table)
    with pytest.raises(DeviceIndexError):                               # embedding takes [0, n) only
        out.cpu()
    with pytest.raises(IndexError, match="index out of range in self"):  # the CPU raises at once
        torch.nn.functional.embedding(torch.tensor([-1]), table.cpu())


def test_synchronize_raises_and_the_error_is_also_an_index_and_runtime_error():
    w = torch.zeros(4, device="cuda")
    w[torch.tensor([-5]).cuda()]
    with pytest.raises(IndexError):
        torch.cuda.synchronize()
    w[torch.tensor([7]).cuda()]
    with pytest.raises(RuntimeError):
        cuda.synchronize()
    cuda.synchronize()                                              # nothing pending


def test_cross_entropy_target_out_of_range_is_reported_but_ignore_index_is_not():
    logits = torch.zeros(3, 4).cuda()
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([0, -100, 3]).cuda())
    assert abs(loss.item() - np.log(4)) < 1e-6                          # ignore_index: fine
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 4, 3]).cuda())
    with pytest.raises(DeviceIndexError):
        loss.item()
