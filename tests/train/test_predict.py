"""load_run / tritorch predict: the recorded preprocessing gives what the model saw in training."""
import json
import os
import shutil

import numpy as np
import pytest

import tritorch
from tritorch.datasets import Digits
from tritorch.datasets.text import TextClassification
from tritorch.train import Trainer, load_run
from tritorch.train.predict import PredictError

from ._util import REPO, cli, digits

GOOD = ["a moving , funny film", "great acting and a clever plot", "warm and wonderful"]
BAD = ["dull , flat and far too long", "a boring mess", "the worst script of the year"]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    return Trainer(digits(max_steps=12, output_dir=str(tmp_path_factory.mktemp("d") / "run"))).fit()["run_dir"]


def _sentiment(tmp_path, encoder):
    rows = [(s, "pos") for s in GOOD] * 4 + [(s, "neg") for s in BAD] * 4
    (tmp_path / "train.tsv").write_text("sentence\tlabel\n" + "".join(f"{s}\t{l}\n" for s, l in rows))
    cfg = {"seed": 0, "device": "cpu",
           "data": {"dataset": {"type": "TextClassification", "text_field": "sentence", "label_field": "label",
                                "max_length": 12, "lowercase": True},
                    "train": {"path": str(tmp_path / "train.tsv")}, "val_fraction": 0.2, "batch_size": 8},
           "model": {"type": "TextClassifier", "vocab_size": "${dataset.vocab_size}", "encoder": encoder,
                     "num_classes": "${dataset.num_classes}", "embedding_dim": 8, "hidden_size": 8},
           "optimizer": {"type": "Adam", "lr": 1e-2},
           "trainer": {"max_steps": 6, "progress": False, "output_dir": str(tmp_path / "run")}}
    return Trainer(cfg).fit()["run_dir"]


@pytest.mark.parametrize("encoder", ["lstm", "transformer"])
def test_text_run_predicts_what_the_model_gives_on_the_dataset_encoding(tmp_path, encoder):
    run_dir = _sentiment(tmp_path, encoder)
    run = load_run(run_dir)
    assert run.kind == "text" and run.classes == ["neg", "pos"] and not run.model.training
    texts = ["A Boring MESS", "warm and wonderful , unseen-word"]
    ds = TextClassification(tmp_path / "train.tsv", "sentence", "label", max_length=12)
    pairs = [ds.encode(t) for t in texts]
    ids = tritorch.stack([p[0] for p in pairs])
    lengths = tritorch.tensor([p[1] for p in pairs])
    with tritorch.no_grad():
        expected = tritorch.softmax(run.model(ids, lengths), -1).numpy()
    got = run.predict(texts, top_k=2)
    for row, result in zip(expected, got):
        assert result["index"] == int(row.argmax()) and result["label"] == ["neg", "pos"][result["index"]]
        np.testing.assert_allclose([t["probability"] for t in result["top"]], np.sort(row)[::-1], rtol=1e-5)
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    out = cli("predict", run_dir, "--input", str(tmp_path / "in.txt"), "--json")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["input"] for r in lines] == texts and [r["label"] for r in lines] == [r["label"] for r in got]


def test_image_run_accepts_float_uint8_single_and_batch(digits_run, tmp_path):
    run = load_run(digits_run, checkpoint="last")
    assert run.kind == "image" and run.checkpoint.endswith("last.safetensors")
    images = Digits(train=False, flatten=True).data.numpy()[:7]
    with tritorch.no_grad():
        expected = tritorch.softmax(run.model(tritorch.from_numpy(images)), -1).numpy()
    batch = run.predict(images, top_k=3)
    assert [r["index"] for r in batch] == expected.argmax(1).tolist()
    np.testing.assert_allclose([r["probability"] for r in batch], expected.max(1), rtol=1e-5)
    one = run.predict(images[2].reshape(8, 8))  # a single image in its natural shape
    assert one[0]["index"] == batch[2]["index"] and len(one[0]["top"]) == 1
    pixels = np.rint(images[:2] * 255).astype(np.uint8)  # 8-bit pixels are scaled by 1/255
    np.testing.assert_allclose([r["probability"] for r in run.predict(pixels)],
                               [r["probability"] for r in batch[:2]], rtol=1e-2)
    with pytest.raises(PredictError, match=r"images of shape \[3, 5\] do not fit this run's input \[64\]"):
        run.predict(np.zeros((3, 5), np.float32))
    np.save(tmp_path / "x.npy", images)
    out = cli("predict", digits_run, "--input", str(tmp_path / "x.npy"), "--top-k", "3")
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0].split("\t")
    assert first[0] == f"{tmp_path / 'x.npy'}[0]" and first[1] == batch[0]["label"] and first[3].count(",") == 1
    out = cli("predict", digits_run, "--text", "seven")
    assert out.returncode == 2 and "classifies images, not text" in out.stderr and "Traceback" not in out.stderr
    out = cli("predict", digits_run, "--input", str(tmp_path / "missing.npy"))
    assert out.returncode == 2 and str(tmp_path / "missing.npy") in out.stderr
    (tmp_path / "digit.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    out = cli("predict", digits_run, "--input", str(tmp_path / "digit.png"))
    try:
        import PIL  # noqa: F401
    except ImportError:
        assert out.returncode == 1 and "needs Pillow: pip install pillow" in out.stderr
    else:
        assert out.returncode != 0 and "Traceback" not in out.stderr


def test_char_lm_run_says_use_generate(tmp_path):
    run_dir = tmp_path / "char"
    run_dir.mkdir()
    shutil.copy(os.path.join(REPO, "configs", "char_transformer.yaml"), run_dir / "config.yaml")
    with pytest.raises(PredictError, match="language model .*use `tritorch generate"):
        load_run(str(run_dir))
    out = cli("predict", str(run_dir), "--text", "hello")
    assert out.returncode == 2 and "tritorch generate" in out.stderr and "Traceback" not in out.stderr


def test_not_a_run_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a tritorch run directory"):
        load_run(str(tmp_path))
