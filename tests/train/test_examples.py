"""Every example config runs end to end through `python -m tritorch train` (shrunk by overrides),
and the run directories feed `tritorch eval`, `generate` and `plot`."""
import gzip
import json
import os
import struct

import numpy as np
import pytest

from ._util import REPO, cli


def _summary(stdout):
    """The final table as {key: value text}."""
    rows = [line.split(None, 1) if not line.startswith("best ") else ["best", line[5:]]
            for line in stdout.splitlines() if line and not line.startswith(("-", "step "))]
    return {r[0]: r[1].strip() for r in rows if len(r) == 2}


def _write_idx(folder, prefix, n, rng):
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes())
    with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 2049, n) + labels.tobytes())


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    _write_idx(root, "train", 96, rng)
    _write_idx(root, "t10k", 32, rng)
    return root


@pytest.fixture(scope="module")
def sentiment_files(tmp_path_factory):
    """SST-2-style TSV (sentence<TAB>label) and the same rows as JSON lines."""
    root = tmp_path_factory.mktemp("sentiment")
    good = ["a moving , funny film", "great acting and a clever plot", "warm and wonderful"]
    bad = ["dull , flat and far too long", "a boring mess", "the worst script of the year"]
    rows = [(s, 1) for s in good] * 6 + [(s, 0) for s in bad] * 6
    for split in ("train", "dev"):
        (root / f"{split}.tsv").write_text("sentence\tlabel\n" + "".join(f"{s} \t{l}\n" for s, l in rows))
        (root / f"{split}.jsonl").write_text("".join(json.dumps({"text": s, "label": ["neg", "pos"][l]}) + "\n"
                                                     for s, l in rows))
    return root


def test_digits_mlp_reaches_95_percent_then_eval_and_plot(tmp_path):
    run = tmp_path / "digits"
    out = cli("train", "configs/digits_mlp.yaml", "--output-dir", str(run))
    assert out.returncode == 0, out.stderr
    table = _summary(out.stdout)
    assert table["status"] == "completed" and float(table["val/accuracy"]) >= 0.95, out.stdout
    ev = cli("eval", str(run), "--json")
    assert ev.returncode == 0, ev.stderr
    result = json.loads(ev.stdout)
    assert result["split"] == "test" and result["samples"] == 355 and result["test/accuracy"] >= 0.93
    assert result["checkpoint"].endswith("best.safetensors")
    assert json.load(open(run / "eval_test.json")) == result
    plot = cli("plot", str(run), "-o", str(tmp_path / "curves.png"))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert plot.returncode == 1 and "pip install 'tritorch[plot]'" in plot.stderr
        assert "Traceback" not in plot.stderr and not (tmp_path / "curves.png").exists()
    else:
        assert plot.returncode == 0, plot.stderr
        assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


SHRINK = ["trainer.max_steps=4", "trainer.eval_every=2", "trainer.limit_eval_batches=2", "trainer.progress=false"]


@pytest.mark.parametrize("config,extra", [
    ("digits_cnn", []),
    ("mnist_mlp", ["model.hidden_sizes=[32]", "scheduler.total_steps=4", "data.batch_size=16"]),
    ("mnist_cnn", ["model.layers.0.out_channels=4", "model.layers.3.in_channels=4", "model.layers.3.out_channels=4",
                   "model.layers.7.in_features=196", "data.batch_size=16"]),
])
def test_image_configs_run(tmp_path, mnist_root, config, extra):
    overrides = SHRINK + extra + ([f"data.dataset.root={mnist_root}"] if config.startswith("mnist") else [])
    out = cli("train", f"configs/{config}.yaml", *overrides, "--output-dir", str(tmp_path / config))
    assert out.returncode == 0, out.stderr
    table = _summary(out.stdout)
    assert table["status"] == "completed" and table["steps"].startswith("4 ")
    assert 0.0 <= float(table["val/accuracy"]) <= 1.0 and np.isfinite(float(table["val/loss"]))


def test_mnist_without_files_is_a_clear_config_error(tmp_path):
    out = cli("train", "configs/mnist_mlp.yaml", f"data.dataset.root={tmp_path}", "--dry-run")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "data.train: MNIST(...) failed: MNIST: train-images-idx3-ubyte[.gz] not found" in out.stderr


@pytest.mark.skipif(not os.path.isdir(os.path.join(REPO, "..", "shared", "data", "mnist")),
                    reason="the real MNIST files are not in ../shared/data/mnist")
def test_mnist_default_root_finds_the_shared_files():
    out = cli("train", "configs/mnist_mlp.yaml", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "steps: 1266 (422 per epoch)" in out.stdout  # 54,000 training images / 128 per batch


@pytest.mark.parametrize("config,fmt", [("sentiment_lstm", "tsv"), ("sentiment_transformer", "jsonl")])
def test_sentiment_configs_run(tmp_path, sentiment_files, config, fmt):
    fields = [] if fmt == "tsv" else ["data.dataset.text_field=text"]
    out = cli("train", f"configs/{config}.yaml", *SHRINK, *fields, "model.embedding_dim=16", "model.hidden_size=16",
              f"data.train.path={sentiment_files}/train.{fmt}", f"data.val.path={sentiment_files}/dev.{fmt}",
              "--output-dir", str(tmp_path / config))
    assert out.returncode == 0, out.stderr
    assert _summary(out.stdout)["status"] == "completed"
    info = json.load(open(tmp_path / config / "data_info.json"))
    assert info["num_classes"] == 2 and info["vocab_size"] == len(info["vocab"]) > 10
    ev = cli("eval", str(tmp_path / config), "--json")  # no test split: falls back to val, with a note
    assert ev.returncode == 0 and "no test split; evaluating on val" in ev.stderr
    assert json.loads(ev.stdout)["samples"] == 36


def test_char_transformer_runs_on_the_embedded_corpus_then_generates(tmp_path):
    run = tmp_path / "char"
    out = cli("train", "configs/char_transformer.yaml", *SHRINK, "data.dataset.path=null", "data.dataset.block_size=16",
              "model.d_model=32", "model.num_layers=1", "data.batch_size=8", "--output-dir", str(run))
    assert out.returncode == 0, out.stderr
    table = _summary(out.stdout)
    assert float(table["val/perplexity"]) == pytest.approx(np.exp(float(table["val/loss"])), rel=1e-3)
    info = json.load(open(run / "data_info.json"))
    assert info["block_size"] == 16 and len(info["vocab"]) > 50  # the embedded corpus' characters
    args = ("generate", str(run), "--prompt", "The ", "--max-new-tokens", "40", "--temperature", "0.8",
            "--top-k", "5", "--seed", "1")
    first, again = cli(*args), cli(*args)
    assert first.returncode == 0, first.stderr
    text = first.stdout.rstrip("\n")
    assert text.startswith("The ") and len(text) == 44 and set(text) <= set(info["vocab"])
    assert again.stdout == first.stdout  # seeded
    bad = cli("generate", str(run), "--prompt", "\u2603")
    assert bad.returncode == 2 and "characters the model never saw" in bad.stderr
