"""With the default collate, datasets of arrays (TensorDataset, Subset of one, Digits, MNIST,
CharText, TextClassification) gather a whole batch with one index: the batches must be exactly
the ones sample-by-sample collation gives (same order, values, dtypes, structure)."""
import numpy as np
import pytest

import tritorch
from tritorch.datasets import CharText, Digits, TextClassification
from tritorch.utils.data import DataLoader, TensorDataset, random_split
from tritorch.utils.data.collate import default_collate


def _per_sample(batch):
    return default_collate(batch)  # not `is default_collate`: takes the sample-by-sample path


def _assert_same_batches(ds, rng, **kw):
    seed = int(rng.integers(1 << 30))
    fast = list(DataLoader(ds, generator=tritorch.Generator().manual_seed(seed), **kw))
    slow = list(DataLoader(ds, generator=tritorch.Generator().manual_seed(seed), collate_fn=_per_sample, **kw))
    assert len(fast) == len(slow) > 0
    for a, b in zip(fast, slow):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert x.dtype is y.dtype and x.shape == y.shape
            assert np.array_equal(x.numpy(), y.numpy())


def test_tensor_dataset_and_subset(rng):
    ds = TensorDataset(tritorch.tensor(rng.standard_normal((23, 3)), dtype=tritorch.float32),
                       tritorch.tensor(rng.integers(0, 5, 23)), tritorch.tensor(rng.random((23, 2, 2)) > 0.5))
    _assert_same_batches(ds, rng, batch_size=5, shuffle=True)
    _assert_same_batches(ds, rng, batch_size=4, shuffle=False, drop_last=True)
    part = random_split(ds, [15, 8], generator=tritorch.Generator().manual_seed(3))[0]
    _assert_same_batches(part, rng, batch_size=4, shuffle=True)


def test_builtin_datasets(rng, tmp_path):
    _assert_same_batches(Digits(train=False), rng, batch_size=16, shuffle=True)
    _assert_same_batches(CharText(text="the quick brown fox jumps over the lazy dog " * 3, block_size=6), rng,
                         batch_size=7, shuffle=True)
    path = tmp_path / "t.tsv"
    path.write_text("sentence\tlabel\na good film\t1\nbad\t0\nnot bad at all , really\t1\nmeh .\t0\nok\t1\n")
    _assert_same_batches(TextClassification(path, "sentence", "label", max_length=4), rng, batch_size=2,
                         shuffle=True)


def test_subclass_with_its_own_getitem_keeps_its_samples():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, = super().__getitem__(i)
            return (x * 2,)

    batch = next(iter(DataLoader(Doubled(tritorch.arange(4.0)), batch_size=4)))
    assert batch[0].tolist() == [0.0, 2.0, 4.0, 6.0]


def test_out_of_range_index_still_raises():
    ds = CharText(text="abcdefghij", block_size=3)
    with pytest.raises(IndexError):
        ds._collate_batch([0, len(ds)])
