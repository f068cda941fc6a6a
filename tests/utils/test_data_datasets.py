"""Dataset combinators, random_split and the samplers."""
import collections

import pytest

import tritorch
from tritorch.utils.data import (BatchSampler, ChainDataset, ConcatDataset, IterableDataset, RandomSampler,
                                 SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                                 WeightedRandomSampler, random_split)


class Range(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_tensor_dataset_rows_and_size_check():
    x, y = tritorch.arange(12).reshape(4, 3), tritorch.tensor([5, 6, 7, 8])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    a, b = ds[2]
    assert a.tolist() == [6, 7, 8] and b.item() == 7
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, tritorch.zeros(3))


def test_subset_concat_chain():
    ds = list(range(10))
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [7, 2, 5]
    cat = ConcatDataset([list("abc"), list("de")])
    assert len(cat) == 5 and cat.cumulative_sizes == [3, 5]
    assert [cat[i] for i in range(5)] == list("abcde") and cat[-1] == "e" and cat[-5] == "a"
    with pytest.raises(ValueError, match="absolute value of index"):
        cat[-6]
    with pytest.raises(IndexError):
        cat[5]
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Range(2)])
    assert list(Range(2) + Range(3)) == [0, 1, 0, 1, 2]
    assert len(ChainDataset([Range(2), Range(3)])) == 5
    both = TensorDataset(tritorch.arange(2)) + TensorDataset(tritorch.arange(3))
    assert isinstance(both, ConcatDataset) and len(both) == 5


def test_random_split_lengths_partition_and_reproducible():
    ds = list(range(20))
    parts = random_split(ds, [5, 15], generator=tritorch.Generator().manual_seed(3))
    again = random_split(ds, [5, 15], generator=tritorch.Generator().manual_seed(3))
    assert [len(p) for p in parts] == [5, 15]
    assert sorted(parts[0].indices + parts[1].indices) == ds
    assert parts[0].indices == again[0].indices
    other = random_split(ds, [5, 15], generator=tritorch.Generator().manual_seed(4))
    assert other[0].indices != parts[0].indices
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(ds, [5, 10])


def test_random_split_fractions_round_robin_remainder():
    # floors 3, 3, 4 -> 10; the remainder 1 goes to split 0 (PyTorch's rounding)
    parts = random_split(list(range(11)), [0.3, 0.3, 0.4])
    assert [len(p) for p in parts] == [4, 3, 4]
    # floors 1, 1, 3 -> 5; the remainder 2 goes round robin to splits 0 and 1
    assert [len(p) for p in random_split(list(range(7)), [0.25, 0.25, 0.5])] == [2, 2, 3]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(list(range(2)), [0.9, 0.1])
    assert [len(p) for p in parts] == [2, 0]
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(list(range(4)), [1.5, -0.5])


def test_sequential_and_random_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    s = RandomSampler(range(10), generator=tritorch.Generator().manual_seed(0))
    first, second = list(s), list(s)
    assert sorted(first) == list(range(10)) and sorted(second) == list(range(10))
    assert first != second  # the explicit generator advances: a new order each epoch
    tritorch.manual_seed(7)
    a = [list(RandomSampler(range(10))) for _ in range(2)]
    tritorch.manual_seed(7)
    b = [list(RandomSampler(range(10))) for _ in range(2)]
    assert a == b and a[0] != a[1]


def test_random_sampler_num_samples_and_replacement():
    chained = list(RandomSampler(range(4), num_samples=10))
    assert len(chained) == 10 and sorted(chained[:4]) == [0, 1, 2, 3] and sorted(chained[4:8]) == [0, 1, 2, 3]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=70))
    assert len(drawn) == 70 and set(drawn) == {0, 1, 2}
    assert len(RandomSampler(range(3), replacement=True, num_samples=70)) == 70
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)


def test_weighted_and_subset_random_samplers():
    g = tritorch.Generator().manual_seed(1)
    drawn = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 400, generator=g))
    counts = collections.Counter(drawn)
    assert set(counts) == {1, 3} and 240 < counts[3] < 360  # expected 300
    no_repl = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(no_repl) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="weights should be a 1d sequence but given weights have shape"):
        WeightedRandomSampler([[1.0, 2.0]], 2)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 2, replacement=None)
    idx = [10, 20, 30, 40]
    out = list(SubsetRandomSampler(idx))
    assert sorted(out) == idx and len(SubsetRandomSampler(idx)) == 4


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, "no")
