"""Digits: the UCI hand-written digits (1797 8x8 images, 10 classes), shipped inside the package.

The file is `data/digits.csv.gz` (see data/README.md for its source, license and checksum):
one row per image, 64 pixel counts 0..16 in row-major order, then the label 0..9.
"""
import gzip
from pathlib import Path

import numpy as np

from .._ops.creation import from_numpy
from ..utils.data import Dataset

DIGITS_FILE = Path(__file__).resolve().parent / "data" / "digits.csv.gz"
NUM_SAMPLES = 1797


def load_digits_arrays(path=DIGITS_FILE):
    """(pixels uint8 [1797, 64] with values 0..16, labels int64 [1797]) from the embedded csv."""
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    except (OSError, EOFError, ValueError) as e:
        raise RuntimeError(f"Digits: cannot read {path} ({e}); reinstall tritorch to restore the data file") from e
    if table.shape != (NUM_SAMPLES, 65):
        raise RuntimeError(f"Digits: {path} holds a table of shape {table.shape}, expected ({NUM_SAMPLES}, 65)")
    return table[:, :64].astype(np.uint8), table[:, 64].copy()


def split_mask(labels):
    """bool [N]: True for the test images (each class's 5th, 10th, ... image in file order)."""
    rank = np.zeros(len(labels), np.int64)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        rank[members] = np.arange(len(members))
    return rank % 5 == 4


class Digits(Dataset):
    """The UCI ML hand-written digits, embedded: no download, no network.

    The split is fixed, stratified and needs no random numbers: within each class, every fifth
    image in file order (the 5th, 10th, ...) is in the test set (355 images, 34-36 per class); the
    other 1442 are the training set.

    Args:
        root (str, optional): ignored (the data is inside the package); accepted so that the
            signature matches the other datasets.
        train (bool, optional): the training split, else the test split. Default: ``True``.
        transform (callable, optional): applied to each image tensor.
        target_transform (callable, optional): applied to each label.
        flatten (bool, optional): images as float32 [64] (for an MLP) instead of [1, 8, 8]. Default: ``False``.

    Attributes:
        data (Tensor): float32 [N, 1, 8, 8] (or [N, 64] with flatten), pixel counts / 16, in [0, 1].
        targets (Tensor): int64 [N], the digit 0..9.

    A sample is ``(image, label)``: the image a float32 tensor, the label a Python int (collated to int64).

    Example:
        >>> train = Digits(train=True, flatten=True)
        >>> len(train), train[0][0].shape
        (1442, tritorch.Size([64]))
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, flatten=False):
        pixels, labels = load_digits_arrays()
        test = split_mask(labels)
        keep = ~test if train else test
        images = pixels[keep].astype(np.float32) / np.float32(16)
        self.data = from_numpy(images if flatten else images.reshape(-1, 1, 8, 8))
        self.targets = from_numpy(labels[keep])
        self.train, self.flatten = train, flatten
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _collate_batch(self, indices):
        """default_collate of the samples at `indices` with one gather (the DataLoader's fast path)."""
        if type(self).__getitem__ is not Digits.__getitem__ or self.transform or self.target_transform:
            return NotImplemented
        rows = np.asarray(indices, np.int64)
        return [from_numpy(self.data.numpy()[rows]), from_numpy(self.targets.numpy()[rows].astype(np.int64))]

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __repr__(self):
        split = "Train" if self.train else "Test"
        return f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n    Split: {split}"
