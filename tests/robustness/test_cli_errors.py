"""`tritorch eval`, `train --resume` and `generate` on bad files, a full or read-only disk, a run killed
before its first checkpoint and a run directory in use: one line on stderr naming the file and what is
wrong, exit code 1 (2 for usage errors), never a traceback, and no pickle ever runs."""
import errno
import os
import shutil
import subprocess
import sys

import pytest
import yaml

import tritorch
from tritorch.cli import main
from tritorch.train.rundir import lock_run_dir, unlock_run_dir

from .bad_files import CASES, cases

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = {
    "seed": 0, "device": "cpu",
    "data": {"dataset": {"type": "Digits", "flatten": True}, "val_fraction": 0.15, "batch_size": 128},
    "model": {"type": "Sequential", "layers": [{"type": "Linear", "in_features": 64, "out_features": 16},
                                               {"type": "ReLU"}, {"type": "Linear", "in_features": 16,
                                                                  "out_features": 10}]},
    "optimizer": {"type": "Adam", "lr": 1e-2},
    "trainer": {"max_steps": 4, "eval_every": 2, "limit_eval_batches": 1, "progress": False, "log_every_s": None},
    "metrics": ["loss", "accuracy"],
}


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err, *parts):
    """The error is one line, the last on stderr (progress lines may come before it), no traceback."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], err
    assert "Traceback" not in err
    for part in parts:
        assert str(part) in errors[0], (part, errors[0])
    return errors[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished run (4 steps) and its config file."""
    root = tmp_path_factory.mktemp("trained")
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    assert main(["train", str(config), "--output-dir", str(root / "run")]) == 0
    return root / "run", config


def _copy(trained, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained[0], run)
    return run


@pytest.mark.parametrize("kind", CASES)
def test_eval_of_a_malformed_checkpoint(trained, tmp_path, capsys, kind):
    marker = tmp_path / "PWNED"
    data, message = cases(tmp_path, str(marker))[kind]
    bad = tmp_path / f"{kind}.safetensors"
    bad.write_bytes(data)
    code, out, err = _cli(capsys, "eval", trained[0], "--checkpoint", bad)
    assert code == 1
    _one_line(err, bad, message)
    assert not marker.exists()


@pytest.mark.parametrize("kind", ["truncated", "huge_header_length", "overlapping_offsets", "dtype_F128", "pickle",
                                  "zip", "empty"])
def test_resume_from_a_malformed_last_checkpoint(trained, tmp_path, capsys, kind):
    marker = tmp_path / "PWNED"
    run = _copy(trained, tmp_path)
    last = run / "checkpoints" / "last.safetensors"
    last.write_bytes(cases(tmp_path, str(marker))[kind][0])
    code, out, err = _cli(capsys, "train", "--resume", run)
    assert code == 1
    _one_line(err, last)
    assert not marker.exists()


@pytest.mark.parametrize("kind", ["truncated", "pickle", "dtype_F128"])
def test_generate_from_a_malformed_checkpoint(trained, tmp_path, capsys, kind):
    marker = tmp_path / "PWNED"
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(cases(tmp_path, str(marker))[kind][0])
    code, out, err = _cli(capsys, "generate", trained[0], "--checkpoint", bad)
    assert code == 1
    _one_line(err, bad)
    assert not marker.exists()


def test_a_checkpoint_of_another_model_names_the_mismatch(trained, tmp_path, capsys):
    state = tritorch.load(trained[0] / "checkpoints" / "last.safetensors")
    state["model"]["0.weight"] = tritorch.zeros(32, 64)
    other = tmp_path / "other.safetensors"
    tritorch.save(state, other)
    code, _, err = _cli(capsys, "eval", trained[0], "--checkpoint", other)
    assert code == 1
    _one_line(err, other, "does not fit this run's model", "0.weight", "[32, 64]")
    run = _copy(trained, tmp_path)
    shutil.copy(other, run / "checkpoints" / "last.safetensors")
    code, _, err = _cli(capsys, "train", "--resume", run)
    assert code == 1
    _one_line(err, "last.safetensors", "does not fit this run's model")


def test_a_plain_safetensors_file_is_not_a_training_checkpoint(trained, tmp_path, capsys):
    plain = tmp_path / "plain.safetensors"
    tritorch.save({"w": tritorch.ones(3)}, plain)
    code, _, err = _cli(capsys, "eval", trained[0], "--checkpoint", plain)
    assert code == 1
    _one_line(err, plain, "not a tritorch training checkpoint")


def test_a_directory_dev_zero_and_a_fifo(trained, tmp_path, capsys):
    targets = [(tmp_path, "Is a directory")]
    if os.path.exists("/dev/zero"):
        targets.append(("/dev/zero", "character device"))
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
        targets.append((tmp_path / "pipe", "FIFO"))
    for path, message in targets:
        code, _, err = _cli(capsys, "eval", trained[0], "--checkpoint", path)
        assert code == 1
        _one_line(err, path, message)


def test_a_permission_denied_checkpoint(trained, tmp_path, capsys, monkeypatch):
    """Simulated (tests may run as root, who reads any file): os.open refuses that one path."""
    secret = tmp_path / "secret.safetensors"
    shutil.copy(trained[0] / "checkpoints" / "last.safetensors", secret)
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if os.fspath(path) == str(secret):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    code, _, err = _cli(capsys, "eval", trained[0], "--checkpoint", secret)
    assert code == 1
    _one_line(err, f"{secret}: Permission denied")


def test_a_run_killed_before_its_first_checkpoint(trained, tmp_path, capsys):
    run = tmp_path / "early"
    (run / "checkpoints").mkdir(parents=True)
    shutil.copy(trained[0] / "config.yaml", run / "config.yaml")
    (run / "checkpoints" / f".last.safetensors.{2 ** 22 + 7}.tmp").write_bytes(b"torn")  # a dead PID's write
    code, _, err = _cli(capsys, "train", "--resume", run)
    assert code == 1
    _one_line(err, run / "checkpoints" / "last.safetensors", "no checkpoint to resume from")
    code, _, err = _cli(capsys, "eval", run)
    assert code == 1
    _one_line(err, "no best checkpoint", "before its first checkpoint")


def test_usage_errors_exit_2(trained, tmp_path, capsys):
    code, _, err = _cli(capsys, "eval", tmp_path / "nowhere")
    assert code == 2
    _one_line(err, "nowhere")
    code, _, err = _cli(capsys, "eval", trained[0], "--checkpoint", tmp_path / "missing.safetensors")
    assert code == 2
    _one_line(err, "missing.safetensors")


def _enospc_on(monkeypatch, needle, after=0):
    """os.fsync raises ENOSPC for files whose path contains `needle`, after `after` such calls."""
    real_fsync, calls = os.fsync, [0]

    def fsync(fd):
        name = os.readlink(f"/proc/self/fd/{fd}") if os.path.isdir("/proc/self/fd") else ""
        if needle in name:
            calls[0] += 1
            if calls[0] > after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to name the file being synced")
def test_a_full_disk_while_training(trained, tmp_path, capsys, monkeypatch):
    _enospc_on(monkeypatch, ".last.safetensors.", after=1)  # the run's first save works, the next fails
    run = tmp_path / "full"
    code, _, err = _cli(capsys, "train", trained[1], "--output-dir", run)
    assert code == 1
    _one_line(err, run / "checkpoints" / "last.safetensors", "No space left on device")
    assert not [n for n in os.listdir(run / "checkpoints") if n.endswith(".tmp")]  # no torn temp left
    monkeypatch.undo()
    assert tritorch.load(run / "checkpoints" / "last.safetensors")["trainer"]["step"] == 0  # the last good one


def test_a_full_disk_writing_metrics(trained, tmp_path, capsys, monkeypatch):
    run = _copy(trained, tmp_path)
    real_open = open

    def full(path, mode="r", *args, **kwargs):
        if str(path).endswith("metrics.jsonl") and "a" in mode:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", full)
    code, _, err = _cli(capsys, "train", "--resume", run, "trainer.max_steps=6")
    assert code == 1
    _one_line(err, run / "metrics.jsonl", "No space left on device")


def test_a_read_only_output_directory(trained, tmp_path, capsys, monkeypatch):
    """Simulated with EROFS (root may write into a chmod 555 directory): new runs and resumes."""
    ro = tmp_path / "ro"
    ro.mkdir()
    run = _copy(trained, ro)
    real_mkdir, real_open, real_builtin_open = os.mkdir, os.open, open

    def writes(real, args, kwargs):
        if real is real_mkdir:
            return True
        if real is real_open:
            return bool(args and args[0] & os.O_CREAT)
        mode = args[0] if args else kwargs.get("mode", "r")
        return any(c in mode for c in "wax+")

    def guard(real):
        def call(path, *args, **kwargs):
            if isinstance(path, (str, os.PathLike)) and os.fspath(path).startswith(str(ro)) and \
                    writes(real, args, kwargs):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
            return real(path, *args, **kwargs)
        return call

    monkeypatch.setattr(os, "mkdir", guard(real_mkdir))
    monkeypatch.setattr(os, "open", guard(real_open))
    monkeypatch.setattr("builtins.open", guard(real_builtin_open))
    code, _, err = _cli(capsys, "train", trained[1], "--output-dir", ro / "new")
    assert code == 1
    _one_line(err, ro / "new", "Read-only file system")
    code, _, err = _cli(capsys, "train", "--resume", run)
    assert code == 1
    _one_line(err, run / ".lock", "Read-only file system")
    code, out, err = _cli(capsys, "eval", run)  # evaluates, then cannot write eval_test.json
    assert code == 1
    _one_line(err, f"{run / 'eval_test.json'}: Read-only file system")


def test_a_second_resume_of_a_run_in_use_is_refused(trained, tmp_path, capsys):
    run = _copy(trained, tmp_path)
    fd = lock_run_dir(str(run))  # as a training process would hold it
    try:
        code, _, err = _cli(capsys, "train", "--resume", run, "trainer.max_steps=6")
        assert code == 1
        _one_line(err, f"run directory {run} is in use by process {os.getpid()}")
        env = dict(os.environ, PYTHONPATH=REPO)
        env.pop("TRITON_INTERPRET", None)
        other = subprocess.run([sys.executable, "-m", "tritorch", "train", "--resume", str(run)], cwd=REPO,
                               env=env, capture_output=True, text=True, timeout=600)
        assert other.returncode == 1
        _one_line(other.stderr, f"run directory {run} is in use by process {os.getpid()}")
    finally:
        unlock_run_dir(fd)
    code, out, err = _cli(capsys, "train", "--resume", run, "trainer.max_steps=6")  # free again
    assert code == 0, err


def test_a_real_process_prints_no_traceback(trained, tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO)
    env.pop("TRITON_INTERPRET", None)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 7)
    out = subprocess.run([sys.executable, "-m", "tritorch", "eval", str(trained[0]), "--checkpoint", str(bad)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 1
    _one_line(out.stderr, bad, "truncated")
