"""Plain log lines when stderr is not a terminal; epoch numbers of train and val rows agree."""
import io
import json
import os

import pytest

from tritorch.train import ConfigError, Trainer
from tritorch.train.progress import Progress

from ._util import digits


def _lines(every_steps, every_s, total=25):
    pipe = io.StringIO()
    bar = Progress(total=total, stream=pipe, every_steps=every_steps, every_s=every_s)
    for step in range(1, total + 1):
        bar.update(step, epoch=step // 10, loss=0.5, lr=1e-3)
    bar.close()
    return pipe.getvalue().splitlines()


def test_plain_lines_every_n_steps_when_not_a_terminal():
    lines = _lines(every_steps=10, every_s=0)
    assert [line.split()[1] for line in lines] == ["10/25", "20/25", "25/25"]
    first = lines[0].split()
    assert first[:4] == ["step", "10/25", "(40%)", "epoch"] and "loss 0.5 lr 0.001" in lines[0]
    assert "it/s eta" in lines[0] and not any("\r" in line or "\x1b" in line for line in lines)


def test_plain_lines_every_t_seconds_and_none():
    # a long interval: the first logged step, then only the last step
    assert [line.split()[1] for line in _lines(every_steps=5, every_s=3600)] == ["5/25", "25/25"]
    assert _lines(every_steps=5, every_s=None) == []


def test_trainer_prints_plain_lines_and_epochs_agree(tmp_path, capsys):
    cfg = digits(max_steps=None, epochs=2, log_every=5, log_every_s=0, output_dir=str(tmp_path / "run"))
    summary = Trainer(cfg).fit()
    err = capsys.readouterr().err
    steps = [line for line in err.splitlines() if line.startswith("step ")]
    assert steps and all(int(line.split()[1].split("/")[0]) % 5 == 0 or "100%" in line for line in steps)
    rows = [json.loads(line) for line in open(os.path.join(summary["run_dir"], "metrics.jsonl"))]
    per_epoch = len(Trainer(cfg).loader)  # one optimizer step per batch here
    for row in rows:  # a row's epoch is the epoch of the batches trained before it, train or val
        assert row["epoch"] == (row["step"] - 1) // per_epoch, row
    assert sorted(r["epoch"] for r in rows if "val/loss" in r) == [0, 1]


def test_log_every_s_is_validated():
    with pytest.raises(ConfigError, match="log_every_s"):
        Trainer(digits(log_every_s=-1))
    with pytest.raises(ConfigError, match="log_every_s"):
        Trainer(digits(log_every_s="often"))
