"""Malformed checkpoint files: tritorch.load raises one clear error naming the file, reads no more
than the file holds, never blocks on a stream, and never runs a pickle (a marker file proves it)."""
import os
import stat
import threading

import pytest

import tritorch
from tritorch.serialization import SerializationError

from .bad_files import CASES, cases, good


@pytest.mark.parametrize("kind", CASES)
def test_a_malformed_file_raises_one_clear_line_and_runs_nothing(tmp_path, kind):
    marker = str(tmp_path / "PWNED")
    data, message = cases(tmp_path, marker)[kind]
    path = tmp_path / f"{kind}.safetensors"
    path.write_bytes(data)
    with pytest.raises(SerializationError, match=message) as e:
        tritorch.load(path)
    assert isinstance(e.value, RuntimeError)          # what PyTorch's loader raises
    assert str(path) in str(e.value) and "\n" not in str(e.value)
    assert not os.path.exists(marker)


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match="Is a directory"):
        tritorch.load(tmp_path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_is_never_read():
    with pytest.raises(SerializationError, match="/dev/zero is a character device, not a regular file"):
        tritorch.load("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    done = []
    reader = threading.Thread(target=lambda: done.append(pytest.raises(SerializationError, tritorch.load, fifo)),
                              daemon=True)
    reader.start()
    reader.join(600)  # guards only against a hang: the open is non-blocking and returns at once
    assert done and "is a FIFO, not a regular file" in str(done[0].value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_permission_denied_file_is_an_oserror(tmp_path):
    path = tmp_path / "secret.safetensors"
    tritorch.save({"a": 1}, path)
    path.chmod(0)
    with pytest.raises(PermissionError):
        tritorch.load(path)


def test_a_header_length_past_the_file_reads_no_more_than_the_file(tmp_path, monkeypatch):
    """The declared header length is checked against the file's size before anything is read."""
    path = tmp_path / "big.safetensors"
    path.write_bytes((10 ** 12).to_bytes(8, "little") + b"{}" * 8)
    sizes = []
    real_fdopen = os.fdopen

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def read(self, n=-1):
            sizes.append(n)
            return self.fh.read(n)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Spy(real_fdopen(*a, **k)))
    with pytest.raises(SerializationError, match="announce a 1000000000000-byte header"):
        tritorch.load(path)
    assert all(0 <= n <= 24 for n in sizes), sizes


def test_a_good_file_still_loads(tmp_path):
    data, _, _ = good(tmp_path)
    back = tritorch.load(tmp_path / "good.safetensors")
    assert back["step"] == 4 and back["a"].shape == (2, 3) and back["b"].tolist() == [0.0, 0.0, 0.0]
    assert stat.S_ISREG(os.stat(tmp_path / "good.safetensors").st_mode)
