"""MNIST: the IDX reader on files the test writes, header errors, the checked download, the real files."""
import gzip
import hashlib
import struct

import numpy as np
import pytest

import tritorch
from tritorch.datasets import MNIST, read_idx
from tritorch.datasets.transforms import Compose, Normalize, ToTensor


def idx_bytes(array, code=0x08):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_mnist(folder, n=5, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix in ("train", "t10k"):
        for stem, arr in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
            data = idx_bytes(arr)
            (folder / (stem + ".gz" if gz else stem)).write_bytes(gzip.compress(data) if gz else data)
    return images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_reads_written_files(tmp_path, gz):
    images, labels = write_mnist(tmp_path, gz=gz)
    ds = MNIST(tmp_path, train=True)
    assert len(ds) == 5 and ds.data.dtype == tritorch.uint8 and ds.targets.dtype == tritorch.int64
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert ds.targets.tolist() == labels.tolist()
    img, label = ds[2]
    assert img.shape == (1, 28, 28) and img.dtype == tritorch.float32 and label == int(labels[2])
    np.testing.assert_allclose(img.numpy()[0], images[2] / 255.0, rtol=1e-6)


def test_torchvision_layout_and_transform(tmp_path):
    images, _ = write_mnist(tmp_path / "MNIST" / "raw", n=3)
    t = Compose([ToTensor(), Normalize((0.5,), (0.25,))])
    ds = MNIST(tmp_path, train=False, transform=t, target_transform=lambda y: -y)
    img, label = ds[1]
    np.testing.assert_allclose(img.numpy()[0], (images[1] / 255.0 - 0.5) / 0.25, rtol=1e-5, atol=1e-6)
    assert label <= 0


def test_idx_reader_dtypes_and_errors(tmp_path):
    arr = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    (tmp_path / "a.idx").write_bytes(idx_bytes(arr, 0x0C))
    out = read_idx(tmp_path / "a.idx")
    assert out.dtype == np.int32 and out.tolist() == arr.tolist()
    good = idx_bytes(np.zeros((2, 3), np.uint8))
    (tmp_path / "magic.idx").write_bytes(b"\x01" + good[1:])
    with pytest.raises(RuntimeError, match="not an IDX file"):
        read_idx(tmp_path / "magic.idx")
    (tmp_path / "short.idx").write_bytes(good[:-1])
    with pytest.raises(RuntimeError, match=r"truncated: 17 bytes, but its header \(2, 3\)"):
        read_idx(tmp_path / "short.idx")
    (tmp_path / "header.idx").write_bytes(good[:6])
    with pytest.raises(RuntimeError, match="truncated IDX header"):
        read_idx(tmp_path / "header.idx")
    (tmp_path / "cut.idx.gz").write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(RuntimeError, match="cannot read"):
        read_idx(tmp_path / "cut.idx.gz")


def test_wrong_file_kind_and_count_mismatch(tmp_path):
    write_mnist(tmp_path, n=4)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(3, np.uint8))))
    with pytest.raises(RuntimeError, match="4 images but 3 labels"):
        MNIST(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((4, 2), np.uint8))))
    with pytest.raises(RuntimeError, match=r"labels file holds uint8 of shape \(4, 2\)"):
        MNIST(tmp_path)


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(RuntimeError, match="not found") as e:
        MNIST(tmp_path)
    assert "train-images-idx3-ubyte.gz" in str(e.value) and str(tmp_path / "MNIST" / "raw") in str(e.value)


def test_download_verifies_md5_and_falls_back_to_next_mirror(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    images, labels = write_mnist(mirror, n=2)
    resources = [(p.name, hashlib.md5(p.read_bytes()).hexdigest()) for p in sorted(mirror.iterdir())]
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/", mirror.as_uri() + "/"])
    ds = MNIST(tmp_path / "root", download=True)
    assert len(ds) == 2 and ds.targets.tolist() == labels.tolist()
    assert sorted(p.name for p in (tmp_path / "root" / "MNIST" / "raw").iterdir()) == [n for n, _ in resources]

    bad = [(name, "0" * 32) for name, _ in resources]
    monkeypatch.setattr(MNIST, "resources", bad)
    with pytest.raises(RuntimeError, match="MD5 mismatch") as e:
        MNIST(tmp_path / "other", download=True)
    assert "copy the four files" in str(e.value)
    assert not list((tmp_path / "other" / "MNIST" / "raw").iterdir())  # nothing unverified was kept


def test_download_offline_error(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(RuntimeError, match="could not download train-images-idx3-ubyte.gz") as e:
        MNIST(tmp_path, download=True)
    assert "Without network access" in str(e.value) and str(tmp_path / "MNIST" / "raw") in str(e.value)


def test_real_mnist(shared_file):
    root = shared_file("mnist/t10k-images-idx3-ubyte.gz").parent
    test = MNIST(root, train=False)
    assert len(test) == 10000 and tuple(test.data.shape) == (10000, 28, 28)
    counts = np.bincount(test.targets.numpy())
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert test.targets[:5].tolist() == [7, 2, 1, 0, 4]
    train = MNIST(root, train=True)
    assert len(train) == 60000 and train.targets[0].item() == 5
    img, _ = train[0]
    assert img.shape == (1, 28, 28) and 0.0 <= img.min().item() and img.max().item() == 1.0
