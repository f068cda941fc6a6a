"""tritorch.utils.tensorboard.SummaryWriter writes event files TensorBoard reads: checked by parsing them
back (TFRecord framing + tensorboardX's Event protobuf), and the trainer's `loggers: [tensorboard]`."""
import glob
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import tritorch

tensorboardX = pytest.importorskip("tensorboardX", reason="the tensorboard extra: pip install -e '.[tensorboard]'")


def read_events(folder):
    """Every Event in folder's event files (not sub-folders), in file order."""
    from tensorboardX.proto.event_pb2 import Event
    events = []
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        raw = open(path, "rb").read()
        at = 0
        while at < len(raw):
            (length,) = struct.unpack_from("<Q", raw, at)
            events.append(Event.FromString(raw[at + 12:at + 12 + length]))
            at += 12 + length + 4  # length, its crc, data, data crc
    return events


def scalars(folder):
    """{tag: [(step, value)]} of the scalar summaries."""
    out = {}
    for event in read_events(folder):
        for value in event.summary.value:
            if value.HasField("simple_value"):
                out.setdefault(value.tag, []).append((event.step, value.simple_value))
    return out


def test_writer_takes_tensors_numpy_and_numbers(tmp_path):
    from tritorch.utils.tensorboard import SummaryWriter
    weights = tritorch.randn(200)
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_scalar("loss", tritorch.tensor(0.25), 1)
        writer.add_scalar("loss", np.float32(0.125), 2)
        writer.add_scalar("loss", 0.5, 3)
        writer.add_histogram("w", weights, 3)
        writer.add_text("note", "hello", 0)
        writer.add_scalars("pair", {"a": 1.0, "b": tritorch.tensor(2.0)}, 4)
        writer.add_hparams({"lr": 0.1, "optimizer": "adam"}, {"hp/acc": 0.75}, run_name="hp")
    assert scalars(str(tmp_path))["loss"] == [(1, 0.25), (2, 0.125), (3, 0.5)]
    histos = [v.histo for e in read_events(str(tmp_path)) for v in e.summary.value if v.HasField("histo")]
    assert len(histos) == 1 and histos[0].num == 200
    assert histos[0].min == pytest.approx(float(weights.min())) and histos[0].max == pytest.approx(float(weights.max()))
    tags = {v.tag for e in read_events(str(tmp_path)) for v in e.summary.value}
    assert "note/text_summary" in tags
    assert scalars(str(tmp_path / "pair" / "b"))["pair"] == [(4, 2.0)]  # tensorboardX: main_tag/key
    assert scalars(str(tmp_path / "hp"))["hp/acc"] == [(0, 0.75)]


def test_default_log_dir_is_runs_date_host(tmp_path, monkeypatch):
    import socket
    from tritorch.utils.tensorboard import SummaryWriter
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_x")
    writer.close()
    folder = writer.get_logdir()
    assert folder.startswith("runs" + os.sep) and folder.endswith(f"_{socket.gethostname()}_x")
    assert glob.glob(os.path.join(folder, "events.out.tfevents.*"))


def test_missing_extra_is_one_line_and_torch_is_never_imported():
    code = ("import sys\n"
            "sys.modules['tensorboardX'] = None\n"
            "from tritorch.utils.tensorboard import SummaryWriter\n"
            "try:\n    SummaryWriter('/nonexistent')\nexcept ModuleNotFoundError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.stdout.strip() == ("tritorch.utils.tensorboard needs tensorboardX: pip install -e '.[tensorboard]' "
                                  "(or pip install tensorboardX)"), out.stderr
    code = ("import sys, tritorch\nfrom tritorch.utils.tensorboard import SummaryWriter\n"
            "import tempfile\nw = SummaryWriter(tempfile.mkdtemp())\n"
            "w.add_scalar('a', tritorch.ones(()), 0)\nw.close()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.stdout.strip() == "[]", out.stderr


def test_trainer_writes_losses_metrics_lr_and_hparams(tmp_path):
    from tritorch.train import ConfigError, Trainer
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "train"))
    from _util import digits
    cfg = digits(max_steps=6, eval_every=3, log_every=2, loggers=["csv", "tensorboard"], log_histograms=True,
                 output_dir=str(tmp_path / "run"))
    summary = Trainer(cfg).fit()
    folder = os.path.join(summary["run_dir"], "tensorboard")
    got = scalars(folder)
    assert [s for s, _ in got["train/loss"]] == [2, 4, 6] and [s for s, _ in got["lr"]] == [2, 4, 6]
    assert [s for s, _ in got["val/accuracy"]] == [3, 6]
    assert got["val/accuracy"][-1][1] == pytest.approx(summary["val/accuracy"])
    histos = {v.tag for e in read_events(folder) for v in e.summary.value if v.HasField("histo")}
    assert histos == {"0.weight", "0.bias", "3.weight", "3.bias"}
    assert scalars(os.path.join(folder, "hparams"))["val/accuracy"][0][1] == pytest.approx(summary["val/accuracy"])
    with pytest.raises(ConfigError, match="trainer.loggers: unknown logger 'wandb'"):
        Trainer(digits(loggers=["wandb"]))
