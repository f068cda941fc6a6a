"""Datasets: the map-style and iterable protocols, and ways to combine and split them.

A map-style dataset has `__getitem__(i)` and `__len__`; an iterable one has `__iter__`. Both are
plain Python objects: a DataLoader fetches samples from them, in worker processes if asked.
"""
import bisect
import itertools
import math
import operator
import warnings

from ..._dtype import int64
from ..._ops.creation import as_tensor, randperm
from ..._random import default_generator


class Dataset:
    """A map-style dataset: subclasses define `__getitem__(index)` and usually `__len__()`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"Subclasses of Dataset should implement __getitem__ ({type(self).__name__} "
                                  "does not).")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """An iterable dataset: subclasses define `__iter__()`.

    With `num_workers > 0` every worker iterates its own copy; use `get_worker_info()` inside
    `__iter__` to give each worker its own shard, or each sample is yielded once per worker.
    """

    def __iter__(self):
        raise NotImplementedError(f"Subclasses of IterableDataset should implement __iter__ "
                                  f"({type(self).__name__} does not).")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of tensors that share their first dimension.

    Args:
        *tensors (Tensor): tensors of shape [N, ...], all with the same N.
    """

    def __init__(self, *tensors):
        if any(t.size(0) != tensors[0].size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def _collate_batch(self, indices):
        """default_collate([self[i] for i in indices]) with one gather per tensor (DataLoader's fast
        path); NotImplemented when a subclass changes what a sample is."""
        if type(self).__getitem__ is not TensorDataset.__getitem__ or not self.tensors:
            return NotImplemented
        return [t[as_tensor(indices, dtype=int64, device=t.device)] for t in self.tensors]

    def __len__(self):
        return self.tensors[0].size(0)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def _collate_batch(self, indices):
        """The wrapped dataset's batch gather at the mapped indices (see TensorDataset)."""
        gather = getattr(self.dataset, "_collate_batch", None)
        if gather is None or type(self).__getitem__ is not Subset.__getitem__:
            return NotImplemented
        return gather([operator.index(self.indices[i]) for i in indices])

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Map-style datasets one after the other."""

    @staticmethod
    def cumsum(sequence):
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        if idx >= len(self):
            raise IndexError(f"index {idx} is out of range for ConcatDataset of length {len(self)}")
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def random_split(dataset, lengths, generator=default_generator):
    """Split `dataset` into non-overlapping random Subsets.

    Args:
        dataset (Dataset): a map-style dataset.
        lengths (sequence): the subset lengths (summing to ``len(dataset)``), or fractions summing
            to 1: each gets ``floor(len * frac)`` and the remainder is handed out one by one, round
            robin from the first split (PyTorch's rounding).
        generator (Generator, optional): the permutation's generator. Default: the global one.
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = randperm(sum(lengths), generator=generator).tolist()
    return [Subset(dataset, indices[end - size:end]) for end, size in zip(itertools.accumulate(lengths), lengths)]
