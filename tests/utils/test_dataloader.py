"""DataLoader in the main process: batching, lengths, shuffling, argument validation."""
import pytest

import tritorch
from tritorch.utils.data import (BatchSampler, DataLoader, IterableDataset, SequentialSampler, TensorDataset,
                                 get_worker_info)


class Stream(IterableDataset):
    def __init__(self, n, sized=True):
        self.n, self.sized = n, sized

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        if not self.sized:
            raise TypeError("Stream has no len()")
        return self.n


def _data(n=10):
    return TensorDataset(tritorch.arange(n).float().reshape(n, 1), tritorch.arange(n))


@pytest.mark.parametrize("n,batch_size,drop_last,sizes", [(10, 4, False, [4, 4, 2]), (10, 4, True, [4, 4]),
                                                         (8, 4, False, [4, 4]), (3, 5, False, [3]),
                                                         (3, 5, True, [])])
def test_batch_counts_and_len(n, batch_size, drop_last, sizes):
    loader = DataLoader(_data(n), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes) and [len(y) for _, y in batches] == sizes
    if batches:
        x, y = batches[0]
        assert x.shape == (sizes[0], 1) and x.dtype == tritorch.float32 and y.dtype == tritorch.int64
        assert tritorch.cat([y for _, y in batches]).tolist() == list(range(sum(sizes)))


def test_batch_size_none_converts_without_batching():
    loader = DataLoader([{"a": 1}, {"a": 2}], batch_size=None)
    assert list(loader) == [{"a": 1}, {"a": 2}] and len(loader) == 2
    import numpy as np
    out = list(DataLoader([np.arange(2), np.arange(2)], batch_size=None))
    assert all(isinstance(t, tritorch.Tensor) and t.shape == (2,) for t in out)


def test_custom_sampler_batch_sampler_and_collate():
    ds = list(range(6))
    assert [b.tolist() for b in DataLoader(ds, sampler=[5, 0, 3], batch_size=2)] == [[5, 0], [3]]
    bs = BatchSampler(SequentialSampler(ds), batch_size=4, drop_last=False)
    loader = DataLoader(ds, batch_sampler=bs, collate_fn=lambda b: sum(b))
    assert list(loader) == [0 + 1 + 2 + 3, 4 + 5] and len(loader) == 2


def test_shuffle_reproducible_under_manual_seed_and_generator():
    ds = list(range(20))

    def epochs(loader):
        return [[int(v) for b in loader for v in b] for _ in range(2)]

    tritorch.manual_seed(0)
    a = epochs(DataLoader(ds, batch_size=3, shuffle=True))
    tritorch.manual_seed(0)
    b = epochs(DataLoader(ds, batch_size=3, shuffle=True))
    assert a == b and a[0] != a[1] and sorted(a[0]) == ds and a[0] != ds
    c = epochs(DataLoader(ds, batch_size=3, shuffle=True, generator=tritorch.Generator().manual_seed(5)))
    d = epochs(DataLoader(ds, batch_size=3, shuffle=True, generator=tritorch.Generator().manual_seed(5)))
    assert c == d and c[0] != c[1]


def test_iterable_dataset_single_process():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert [int(v) for v in DataLoader(Stream(3), batch_size=None)] == [0, 1, 2]
    with pytest.raises(TypeError, match="Stream has no len"):
        len(DataLoader(Stream(3, sized=False)))
    assert get_worker_info() is None


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(num_workers=-1), ValueError, "num_workers option should be non-negative"),
    (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
    (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified in multiprocessing"),
    (dict(num_workers=1, prefetch_factor=-1), ValueError, "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
    (dict(sampler=[0], shuffle=True), ValueError, "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler option is mutually exclusive with"),
    (dict(batch_sampler=[[0]], drop_last=True), ValueError, "batch_sampler option is mutually exclusive with"),
    (dict(batch_size=None, drop_last=True), ValueError, "batch_size=None option disables auto-batching"),
    (dict(batch_size=0), ValueError, "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(multiprocessing_context="fork"), ValueError, "multiprocessing_context can only be used with"),
    (dict(num_workers=1, multiprocessing_context="nope"), ValueError, "should specify a valid start method"),
    (dict(num_workers=1, multiprocessing_context=3), TypeError, "should be a valid context object"),
])
def test_argument_validation(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        DataLoader(list(range(4)), **kwargs)


def test_iterable_dataset_rejects_sampling_options():
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])
    with pytest.raises(ValueError, match="expected unspecified batch_sampler option"):
        DataLoader(Stream(3), batch_sampler=[[0]])


def test_attributes_frozen_after_init():
    loader = DataLoader(list(range(4)), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 3
    loader.num_workers = 0  # not a frozen attribute
