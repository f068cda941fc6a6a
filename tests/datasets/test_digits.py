"""Digits: the embedded file, the fixed stratified split, shapes, dtypes and transforms."""
import hashlib

import numpy as np

import tritorch
from tritorch.datasets import Digits
from tritorch.datasets.digits import DIGITS_FILE
from tritorch.datasets.transforms import Lambda


def test_embedded_file_is_the_documented_one():
    assert hashlib.md5(DIGITS_FILE.read_bytes()).hexdigest() == "9b335364a7bfd63947c7480a5bd51f2d"
    readme = (DIGITS_FILE.parent / "README.md").read_text()
    assert "CC BY 4.0" in readme and "9b335364a7bfd63947c7480a5bd51f2d" in readme


def test_split_sizes_disjoint_and_stratified():
    train, test = Digits(train=True), Digits(train=False)
    assert (len(train), len(test)) == (1442, 355)
    counts = np.bincount(test.targets.numpy(), minlength=10)
    assert counts.min() >= 34 and counts.max() <= 36
    assert np.bincount(train.targets.numpy()).sum() + counts.sum() == 1797
    # no test image appears in the training set (the data has no exact duplicates across the split)
    tr = {row.tobytes() for row in train.data.numpy().reshape(len(train), -1)}
    assert not any(row.tobytes() in tr for row in test.data.numpy().reshape(len(test), -1))


def test_samples_shapes_dtypes_and_values():
    ds = Digits()
    img, label = ds[0]
    assert img.shape == (1, 8, 8) and img.dtype == tritorch.float32 and isinstance(label, int)
    assert ds.data.min().item() == 0.0 and ds.data.max().item() == 1.0
    # first row of the file: digit 0, with pixel counts (in 16ths) 0,0,5,13,9,1,0,0
    assert label == 0 and (img[0, 0] * 16).tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    flat = Digits(flatten=True)
    assert flat[0][0].shape == (64,) and tritorch.equal(flat[0][0], img.reshape(64))
    assert ds.targets.dtype == tritorch.int64 and set(ds.targets.tolist()) == set(range(10))


def test_transforms_applied():
    ds = Digits(train=False, transform=Lambda(lambda x: x * 2), target_transform=lambda y: y + 10)
    img, label = ds[3]
    plain_img, plain_label = Digits(train=False)[3]
    assert tritorch.allclose(img, plain_img * 2) and label == plain_label + 10
