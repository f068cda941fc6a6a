"""MNIST from the standard IDX files (gzipped or not), with an optional checked download.

IDX format (big-endian): two zero bytes, a type code (0x08 = uint8, ...), the number of
dimensions, one int32 per dimension, then the data in row-major order. MNIST's images file has
magic 2051 (uint8, 3 dims: N x 28 x 28), its labels file magic 2049 (uint8, 1 dim: N).
"""
import gzip
import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from .._dtype import get_default_dtype
from .._ops.creation import from_numpy
from ..utils.data import Dataset
from .transforms import ToTensor

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array stored in an IDX file (gzipped when the name ends in .gz), in native byte order.

    Raises:
        RuntimeError: a bad magic number, an unknown type code, or a size that disagrees with the header.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:  # gzip raises these for a truncated or non-gzip file
        raise RuntimeError(f"{path}: cannot read ({e})") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path}: not an IDX file (magic bytes {raw[:4].hex() or 'missing'}; expected "
                           f"00 00 <type code> <ndim>)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise RuntimeError(f"{path}: truncated IDX header ({len(raw)} bytes, expected at least {header})")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">i4", ndim, 4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        kind = "truncated" if len(raw) < expected else "has trailing bytes"
        raise RuntimeError(f"{path}: IDX file {kind}: {len(raw)} bytes, but its header {shape} ({dtype.str}) "
                           f"needs {expected}")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


class MNIST(Dataset):
    """The MNIST hand-written digits (60,000 training and 10,000 test images, 28x28, 10 classes).

    The four files are looked up, gzipped or not, in ``root``, ``root/MNIST/raw`` (torchvision's
    layout) and ``root/mnist``.

    Args:
        root (str or Path): the directory holding (or to receive) the files.
        train (bool, optional): the 60,000 training images, else the 10,000 test images. Default: ``True``.
        transform (callable, optional): applied to each image, a numpy uint8 array [28, 28] (what
            torchvision passes as a PIL image: ``ToTensor()`` converts it). Default: ``None``, which
            gives a float32 tensor [1, 28, 28] in [0, 1].
        target_transform (callable, optional): applied to each label (a Python int).
        download (bool, optional): fetch missing files from the mirrors into ``root/MNIST/raw`` and
            check their MD5s. Default: ``False``.

    Attributes:
        data (Tensor): uint8 [N, 28, 28].
        targets (Tensor): int64 [N].
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = Path(os.path.expanduser(str(root)))
        self.train, self.transform, self.target_transform = train, transform, target_transform
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte"))
        if images.ndim != 3 or images.dtype != np.uint8:
            raise RuntimeError(f"MNIST: the images file holds {images.dtype} of shape {images.shape}, expected "
                               f"uint8 [N, 28, 28] (magic 2051)")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise RuntimeError(f"MNIST: the labels file holds {labels.dtype} of shape {labels.shape}, expected "
                               f"uint8 [N] (magic 2049)")
        if len(images) != len(labels):
            raise RuntimeError(f"MNIST: {len(images)} images but {len(labels)} labels")
        self.data = from_numpy(np.ascontiguousarray(images))
        self.targets = from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return self.root / "MNIST" / "raw"

    def _candidates(self, stem):
        for folder in (self.root, self.raw_folder, self.root / "mnist"):
            for name in (stem + ".gz", stem):
                yield folder / name

    def _find(self, stem):
        for path in self._candidates(stem):
            if path.is_file():
                return path
        names = "\n".join(f"  {name}" for name, _ in self.resources)
        raise RuntimeError(f"MNIST: {stem}[.gz] not found under {self.root}. Dataset not found: use download=True, "
                           f"or put these files (gzipped or not) in {self.raw_folder} or {self.root}:\n{names}")

    def _check_exists(self):
        return all(any(p.is_file() for p in self._candidates(name[:-3])) for name, _ in self.resources)

    def download(self):
        """Fetch the missing files into root/MNIST/raw, trying each mirror, and verify their MD5s."""
        if self._check_exists():
            return
        self.raw_folder.mkdir(parents=True, exist_ok=True)
        for name, md5 in self.resources:
            target = self.raw_folder / name
            if any(p.is_file() for p in self._candidates(name[:-3])):
                continue
            errors = []
            for mirror in self.mirrors:
                try:
                    _download(mirror + name, target, md5)
                    break
                except (urllib.error.URLError, OSError, RuntimeError) as e:
                    errors.append(f"{mirror}{name}: {e}")
            else:
                tried = "\n".join(f"  {e}" for e in errors)
                raise RuntimeError(f"MNIST: could not download {name}:\n{tried}\nWithout network access, copy the "
                                   f"four files ({', '.join(n for n, _ in self.resources)}) into {self.raw_folder} "
                                   f"or {self.root}.")

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index].numpy(), int(self.targets[index])
        img = self.transform(img) if self.transform is not None else ToTensor()(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _collate_batch(self, indices):
        """default_collate of the samples at `indices` with one gather (the DataLoader's fast path):
        ToTensor's arithmetic on the whole batch at once."""
        if type(self).__getitem__ is not MNIST.__getitem__ or self.transform or self.target_transform:
            return NotImplemented
        rows = np.asarray(indices, np.int64)
        images = self.data.numpy()[rows][:, None]
        images = images.astype(get_default_dtype().np) / np.float32(255) if images.dtype == np.uint8 else images
        return [from_numpy(images), from_numpy(self.targets.numpy()[rows].astype(np.int64))]

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __repr__(self):
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n    Root location: "
                f"{self.root}\n    Split: {split}")


def _download(url, target, md5, timeout=30):
    """url -> target, written atomically, only if the bytes have the expected md5."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        payload = response.read()
    digest = hashlib.md5(payload).hexdigest()
    if digest != md5:
        raise RuntimeError(f"MD5 mismatch: got {digest}, expected {md5}")
    tmp = target.with_name(target.name + ".part")
    with open(tmp, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
