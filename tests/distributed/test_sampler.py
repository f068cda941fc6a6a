"""DistributedSampler: PyTorch's padding, dealing and epochs."""
import pytest

from tritorch.utils.data import DistributedSampler


@pytest.mark.parametrize("n", [1, 5, 10, 11])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_shares_match_pytorch_in_order(n, world, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as Ref
    for rank in range(world):
        ours = DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=False, drop_last=drop_last)
        ref = Ref(range(n), num_replicas=world, rank=rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(ref) and len(ours) == len(ref)


def test_shuffled_shares_partition_the_epoch_and_change_with_set_epoch():
    n, world = 11, 3
    shares = [DistributedSampler(range(n), num_replicas=world, rank=r, seed=5) for r in range(world)]
    first = [list(s) for s in shares]
    assert len(sum(first, [])) == 12 and set(sum(first, [])) == set(range(n))
    assert [list(s) for s in shares] == first  # same epoch: same order
    for s in shares:
        s.set_epoch(1)
    assert [list(s) for s in shares] != first


def test_bad_rank_and_no_group():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="distributed package"):
        DistributedSampler(range(4))
