"""Small things a new user tripped on: where an error points, what --dry-run prints, where data paths
are read from, where `tritorch plot` writes."""
import os

import pytest
import yaml

from tritorch.cli_plot import default_output
from tritorch.train import ConfigError, Trainer, load_config

from ._util import DIGITS, REPO, cli


def _errors(path, overrides):
    with pytest.raises(ConfigError) as info:
        Trainer(load_config(path, overrides))
    return str(info.value)


def test_errors_caused_by_an_override_point_at_the_override():
    path = os.path.join(REPO, "configs", "digits_mlp.yaml")
    # a list replaced by an override: the bad item is the override's, not the file's line
    assert _errors(path, ["metrics=[loss,foo]"]).endswith("(override metrics=[loss,foo])")
    # a constructor that fails because of a key set below it
    message = _errors(path, ["model.layers.0.out_features=-5"])
    assert message.startswith("model.layers[0]: Linear(...) failed") and \
        message.endswith("(override model.layers.0.out_features=-5)")
    # without an override, the file's line
    assert _errors(path, ["model.layers.3.in_features=50"]).endswith("(override model.layers.3.in_features=50)")


def test_metrics_error_says_topk():
    message = _errors(os.path.join(REPO, "configs", "digits_mlp.yaml"), ["metrics=[loss,foo]"])
    assert "expected one of accuracy, loss, perplexity, topK" in message and "top3" in message


def test_dry_run_resolves_dataset_references(tmp_path):
    (tmp_path / "train.tsv").write_text("sentence\tlabel\n" + "good fun\t1\nbad dull\t0\n" * 4)
    out = cli("train", "configs/sentiment_lstm.yaml", f"data.train.path={tmp_path}/train.tsv",
              f"data.val.path={tmp_path}/train.tsv", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "${dataset" not in out.stdout and "vocab_size: 6" in out.stdout and "num_classes: 2" in out.stdout


def test_data_paths_from_the_config_folder_and_absolute_in_errors(tmp_path):
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "train.tsv").write_text("sentence\tlabel\n" + "good fun\t1\nbad dull\t0\n" * 4)
    cfg = {**DIGITS, "data": {"dataset": {"type": "TextClassification", "text_field": "sentence",
                                          "label_field": "label"},
                              "train": {"path": "data/train.tsv"}, "val_fraction": 0.25, "batch_size": 4},
           "model": {"type": "TextClassifier", "vocab_size": "${dataset.vocab_size}", "embedding_dim": 4,
                     "hidden_size": 4}, "trainer": {"max_steps": 1, "progress": False}}
    (folder / "c.yaml").write_text(yaml.safe_dump(cfg))
    other = tmp_path / "elsewhere"
    other.mkdir()
    out = cli("train", str(folder / "c.yaml"), "--dry-run", cwd=str(other))  # not in the CWD: the config's folder
    assert out.returncode == 0, out.stderr
    (other / "data" / "train.tsv").mkdir(parents=True)  # the CWD wins when the path exists there
    out = cli("train", str(folder / "c.yaml"), "--dry-run", cwd=str(other))
    assert out.returncode == 2 and f"{other / 'data' / 'train.tsv'}" in out.stderr  # a folder, not a file
    out = cli("train", str(folder / "c.yaml"), "data.train.path=missing.tsv", "--dry-run", cwd=str(other))
    assert out.returncode == 2 and f"No such file or directory: '{other / 'missing.tsv'}'" in out.stderr
    assert "from the current directory, else from the config file's folder" in out.stderr


def test_plot_writes_into_the_run_directory():
    assert default_output(["runs/a"]) == os.path.join("runs/a", "metrics.png")
    assert default_output(["runs/a", "runs/b"]) == os.path.join("runs/a", "compare.png")


def test_setup_py_refers_to_no_missing_file():
    text = open(os.path.join(REPO, "setup.py")).read()
    assert "DESIGN.md" not in text
