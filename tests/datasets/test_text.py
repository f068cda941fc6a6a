"""CharText and TextClassification on files the test writes, and on the shared real data when present."""
import json

import pytest

import tritorch
from tritorch.datasets import CharText, TextClassification, Vocab, word_tokenize
from tritorch.utils.data import DataLoader


def test_chartext_windows_split_and_codec(tmp_path):
    text = "abcdefghij" * 10  # 100 characters: train = first 90, val = last 10
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    train = CharText(path, block_size=4)
    assert train.vocab == list("abcdefghij") and train.vocab_size == 10 and train.stoi["c"] == 2
    assert len(train) == 90 - 4
    x, y = train[3]
    assert x.dtype == tritorch.int64 and x.shape == (4,)
    assert train.decode(x) == "defg" and train.decode(y) == "efgh"
    assert train.encode("jab") == [9, 0, 1] and train.decode([9, 0, 1]) == "jab"
    last_x, last_y = train[-1]
    assert train.decode(last_y)[-1] == text[89]
    val = CharText(path, block_size=4, train=False)
    assert len(val) == 10 - 4 and val.decode(val[0][0]) == text[90:94]
    assert CharText(path, block_size=4, split="val").decode(val[0][0]) == text[90:94]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        train.encode("xyz")
    with pytest.raises(ValueError, match="split should be 'train' or 'val'"):
        CharText(path, split="test")
    with pytest.raises(ValueError, match="not enough for one window"):
        CharText(path, block_size=10, split="val")
    with pytest.raises(IndexError):
        train[len(train)]


def test_chartext_utf8_and_embedded_corpus(tmp_path):
    path = tmp_path / "u.txt"
    path.write_text("héllo wörld ✓ " * 5, encoding="utf-8")
    ds = CharText(path, block_size=3)
    assert "✓" in ds.stoi and ds.decode(ds.encode("wörld ✓")) == "wörld ✓"
    default = CharText(block_size=32)
    assert len(default) > 100_000 and 60 < default.vocab_size < 200
    x, y = next(iter(DataLoader(default, batch_size=4, shuffle=True)))
    assert x.shape == (4, 32) and tritorch.equal(x[:, 1:], y[:, :-1])
    assert "def" in default.decode(default.data[:20000])


def test_chartext_tinyshakespeare(shared_file):
    ds = CharText(shared_file("tinyshakespeare/input.txt"), block_size=8)
    assert ds.vocab_size == 65 and len(ds) == int(1115394 * 0.9) - 8
    assert ds.decode(ds[0][0]) == "First Ci"


def test_word_tokenizer_and_vocab():
    assert word_tokenize("it's good, really!") == ["it", "'", "s", "good", ",", "really", "!"]
    v = Vocab.build([["b", "a", "b"], ["c", "a", "b", "d"]], min_freq=2)
    assert v.itos == ["<pad>", "<unk>", "b", "a"] and v["b"] == 2 and v["zzz"] == 1 and len(v) == 4
    assert Vocab.build([["b", "a", "b", "c"]], max_size=3).itos == ["<pad>", "<unk>", "b"]


def test_text_classification_csv_string_labels(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text('text,label\n"Good movie, good cast",pos\nbad movie,neg\n"A good, long, good, good film",pos\n')
    ds = TextClassification(path, "text", "label", max_length=5)
    assert ds.classes == ["neg", "pos"] and len(ds) == 3
    ids, length, label = ds[0]
    assert ids.dtype == tritorch.int64 and ids.shape == (5,) and length == 5 and label == 1
    assert ds.decode(ids) == ["good", "movie", ",", "good", "cast"]
    ids, length, label = ds[1]
    assert length == 2 and ids.tolist()[2:] == [0, 0, 0] and label == 0
    assert ds[2][1] == 5  # 8 tokens truncated to max_length
    assert ds.vocab.itos[2] == "good"  # the most frequent token gets the first free id
    ids, lengths, labels = next(iter(DataLoader(ds, batch_size=3)))
    assert ids.shape == (3, 5) and lengths.tolist() == [5, 2, 5] and labels.tolist() == [1, 0, 1]


def test_text_classification_shared_vocab_jsonl_and_char(tmp_path):
    train_path, dev_path = tmp_path / "train.jsonl", tmp_path / "dev.jsonl"
    train_path.write_text("\n".join(json.dumps(r) for r in [{"t": "a b a", "y": 2}, {"t": "b c", "y": 0}]))
    dev_path.write_text(json.dumps({"t": "a zebra", "y": 2}) + "\n")
    train = TextClassification(train_path, "t", "y", max_length=4, min_freq=2)
    assert train.vocab.itos == ["<pad>", "<unk>", "a", "b"] and train.classes == [0, 1, 2]
    dev = TextClassification(dev_path, "t", "y", max_length=4, vocab=train.vocab, classes=train.classes)
    ids, length, label = dev[0]
    assert ids.tolist() == [2, 1, 0, 0] and length == 2 and label == 2
    chars = TextClassification(train_path, "t", "y", tokenizer="char", max_length=3)
    assert chars.decode(chars[1][0]) == ["b", " ", "c"]
    with pytest.raises(ValueError, match=r"labels \['7'\] are not among the classes"):
        dev_path.write_text(json.dumps({"t": "a", "y": 7}))
        TextClassification(dev_path, "t", "y", vocab=train.vocab, classes=train.classes)


def test_text_classification_errors(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("sentence\tlabel\nhi \"there\t1\n")
    ds = TextClassification(path, "sentence", "label")  # a bare quote in a TSV is text
    assert ds.decode(ds[0][0]) == ["hi", '"', "there"]
    with pytest.raises(KeyError, match=r"no field 'text'; the fields are \['label', 'sentence'\]"):
        TextClassification(path, "text", "label")
    with pytest.raises(ValueError, match="cannot tell the format"):
        TextClassification(tmp_path / "d.txt", "a", "b")


def test_text_classification_sst2(shared_file):
    train = TextClassification(shared_file("sentiment/sst2/train.tsv"), "sentence", "label", max_length=32,
                               min_freq=2)
    dev = TextClassification(shared_file("sentiment/sst2/dev.tsv"), "sentence", "label", max_length=32,
                             vocab=train.vocab, classes=train.classes)
    assert (len(train), len(dev)) == (67349, 872) and train.classes == [0, 1]
    assert int(train.labels.sum()) == 37569 and int(dev.labels.sum()) == 444
    assert train.decode(train[0][0]) == "hide new secretions from the parental units".split()
    unk_rate = (dev.ids == 1).sum() / dev.lengths.sum()
    assert unk_rate < 0.05


def test_text_classification_encode_custom_tokenizer_and_signed_labels(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\nA-B a,-1\nb c,1\n")
    ds = TextClassification(path, "text", "label", tokenizer=lambda s: s.split(), lowercase=False, max_length=3)
    assert ds.classes == [-1, 1] and [ds[i][2] for i in range(2)] == [0, 1]  # signed ints: numbered in order
    assert ds.vocab.itos[2:] == ["A-B", "a", "b", "c"]
    ids, length = ds.encode("c A-B zzz q")
    assert ids.tolist() == [ds.vocab["c"], ds.vocab["A-B"], 1] and length == 3
    with pytest.raises(ValueError, match="tokenizer should be 'word', 'char' or a callable"):
        TextClassification(path, "text", "label", tokenizer="bpe")


def test_chartext_missing_file_falls_back_to_the_embedded_corpus_only_when_asked(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError):
        CharText(missing, block_size=8)
    with pytest.warns(UserWarning, match="using the embedded corpus"):
        ds = CharText(missing, block_size=8, if_missing="embedded")
    assert ds.vocab == CharText(block_size=8).vocab
    missing.write_text("abcabcabcabcabcabc")
    assert CharText(missing, block_size=4, if_missing="embedded").vocab == ["a", "b", "c"]
    with pytest.raises(ValueError, match="if_missing"):
        CharText(missing, block_size=4, if_missing="maybe")
