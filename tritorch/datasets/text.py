"""Text datasets: CharText (character-level language modelling) and TextClassification.

    lm = CharText(block_size=64)                     # embedded corpus: Python's own documentation
    x, y = lm[0]                                     # int64 [64] each; y is x shifted by one
    train = TextClassification("train.tsv", "sentence", "label", max_length=64)
    dev = TextClassification("dev.tsv", "sentence", "label", vocab=train.vocab, classes=train.classes)
    ids, length, label = train[0]                    # int64 [64], int, int
"""
import collections
import csv
import json
import re
import warnings
from pathlib import Path

import numpy as np

from .._ops.creation import from_numpy, tensor
from ..tensor import Tensor
from ..utils.data import Dataset


def _embedded_corpus():
    """The Python standard library's documentation topics (pydoc_data.topics), always installed."""
    from pydoc_data.topics import topics
    return "\n\n".join(topics[k] for k in sorted(topics))


class CharText(Dataset):
    """Character-level language-model windows over a UTF-8 text: ``(x, y)`` with ``y[t] = x[t + 1]``.

    The vocabulary is every character of the whole text (so train and val encode alike); the first
    90% of the characters are the ``train`` split and the last 10% the ``val`` split (nanoGPT's
    recipe). Sample i is the window starting at character i of the split.

    Args:
        path (str or Path, optional): a UTF-8 text file. Default: ``None``, the embedded corpus
            (the text of Python's ``pydoc_data.topics``, about 460,000 characters).
        block_size (int, optional): the window length T. Default: ``128``.
        train (bool, optional): the train split, else the val split. Default: ``True``.
        split (str, optional): ``'train'`` or ``'val'``; overrides ``train`` when given.
        text (str, optional): the text itself instead of a file.
        if_missing (str, keyword): ``'error'`` (default: a missing `path` raises) or ``'embedded'``
            (a missing `path` falls back to the embedded corpus, with a warning).

    Attributes:
        vocab / itos (list of str): id -> character.  stoi (dict): character -> id.  vocab_size (int).
        data (Tensor): int64 [n], the encoded split.

    Example:
        >>> ds = CharText(text="hello world", block_size=4, split="train")
        >>> ds.decode(ds[0][0]), ds.decode(ds[0][1])
        ('hell', 'ello')
    """

    def __init__(self, path=None, block_size=128, train=True, split=None, *, text=None, encoding="utf-8",
                 if_missing="error"):
        if if_missing not in ("error", "embedded"):
            raise ValueError(f"if_missing should be 'error' or 'embedded', but got if_missing={if_missing!r}")
        if text is None and path is not None and if_missing == "embedded" and not Path(path).is_file():
            warnings.warn(f"CharText: {path} not found; using the embedded corpus instead", stacklevel=2)
            path = None
        if text is None:
            text = Path(path).read_text(encoding=encoding) if path is not None else _embedded_corpus()
        split = split if split is not None else ("train" if train else "val")
        if split not in ("train", "val"):
            raise ValueError(f"split should be 'train' or 'val', but got split={split!r}")
        if not isinstance(block_size, int) or block_size <= 0:
            raise ValueError(f"block_size should be a positive integer, but got block_size={block_size}")
        self.itos = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}
        cut = int(len(text) * 0.9)
        part = text[:cut] if split == "train" else text[cut:]
        if len(part) <= block_size:
            raise ValueError(f"the {split} split has {len(part)} characters: not enough for one window of "
                             f"block_size={block_size} plus its target")
        self.data = from_numpy(self._encode_array(part))
        self.block_size, self.split = block_size, split

    @property
    def vocab(self):
        return self.itos

    @property
    def vocab_size(self):
        return len(self.itos)

    def _encode_array(self, s):
        try:
            return np.fromiter((self.stoi[c] for c in s), np.int64, len(s))
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} is not in the vocabulary") from None

    def encode(self, s):
        """str -> list of int ids."""
        return self._encode_array(s).tolist()

    def decode(self, ids):
        """list of ids, or an integer tensor [T] -> str."""
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        return "".join(self.itos[i] for i in ids)

    def __len__(self):
        return len(self.data) - self.block_size

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} is out of range for {len(self)} windows")
        chunk = self.data[index:index + self.block_size + 1]
        return chunk[:-1], chunk[1:]

    def _collate_batch(self, indices):
        """default_collate of the windows at `indices` with one gather (the DataLoader's fast path)."""
        if type(self).__getitem__ is not CharText.__getitem__:
            return NotImplemented
        rows = np.asarray(indices, np.int64).reshape(-1)
        rows = np.where(rows < 0, rows + len(self), rows)
        if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
            bad = int(rows[(rows < 0) | (rows >= len(self))][0])
            raise IndexError(f"index {bad} is out of range for {len(self)} windows")
        windows = self.data.numpy()[rows[:, None] + np.arange(self.block_size + 1)]
        return [from_numpy(np.ascontiguousarray(windows[:, :-1])), from_numpy(np.ascontiguousarray(windows[:, 1:]))]


# -- classification ---------------------------------------------------------------------------
PAD, UNK = "<pad>", "<unk>"
_WORD = re.compile(r"\w+|[^\w\s]")


def word_tokenize(text):
    """Words and punctuation marks: "It's good." -> ['it', "'", 's', 'good', '.'] (after lower-casing)."""
    return _WORD.findall(text)


class Vocab:
    """Token <-> id, with ``<pad>`` = 0 and ``<unk>`` = 1 (unknown tokens map to it)."""

    def __init__(self, tokens):
        self.itos = [PAD, UNK] + [t for t in tokens if t not in (PAD, UNK)]
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, token_lists, min_freq=1, max_size=None):
        """The tokens seen at least `min_freq` times, most frequent first (ties alphabetical), at most
        `max_size` entries including ``<pad>`` and ``<unk>``."""
        counts = collections.Counter(t for tokens in token_lists for t in tokens)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max(max_size - 2, 0)]
        return cls(kept)

    def __len__(self):
        return len(self.itos)

    def __getitem__(self, token):
        return self.stoi.get(token, 1)

    def __contains__(self, token):
        return token in self.stoi

    def lookup(self, tokens):
        return [self.stoi.get(t, 1) for t in tokens]


def read_labelled_records(path, text_field, label_field, format=None, encoding="utf-8"):
    """The rows of a CSV/TSV/JSON-lines file (format from the extension unless given), checked to
    hold `text_field` and `label_field`; a list of dicts."""
    path = Path(path)
    fmt = format or {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl"}.get(path.suffix.lower())
    if fmt not in ("csv", "tsv", "jsonl"):
        raise ValueError(f"cannot tell the format of {path.name}: pass format='csv', 'tsv' or 'jsonl'")
    records = _read_records(path, fmt, encoding)
    if not records:
        raise ValueError(f"{path}: no records")
    for field in (text_field, label_field):
        if field not in records[0]:
            raise KeyError(f"{path}: no field {field!r}; the fields are {sorted(records[0])}")
    return records


def _read_records(path, fmt, encoding):
    if fmt == "jsonl":
        with open(path, encoding=encoding) as f:
            return [json.loads(line) for line in f if line.strip()]
    with open(path, encoding=encoding, newline="") as f:
        if fmt == "tsv":  # no quoting: TSV sentences may hold bare quote characters
            return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        return list(csv.DictReader(f))


class TextClassification(Dataset):
    """Labelled texts from a CSV, TSV or JSON-lines file with a header, as padded token ids.

    Args:
        path (str or Path): the file.
        text_field (str): the column (or JSON key) holding the text.
        label_field (str): the column holding the label: integers, or strings mapped to ids.
        format (str, optional): ``'csv'``, ``'tsv'`` or ``'jsonl'``. Default: from the extension.
        tokenizer (str or callable, optional): ``'word'`` (words and punctuation marks), ``'char'``,
            or a function str -> list of str. Default: ``'word'``.
        lowercase (bool, optional): lower-case the text first. Default: ``True``.
        vocab (Vocab, optional): an existing vocabulary (the training set's, for a validation set).
            Default: built on this file with ``min_freq`` and ``max_size``.
        min_freq (int, optional): minimum count of a token in the vocabulary. Default: ``1``.
        max_size (int, optional): maximum vocabulary size, ``<pad>`` and ``<unk>`` included.
        max_length (int, optional): pad (with 0) or truncate every text to this many tokens. Default: ``128``.
        classes (list, optional): the label values in id order (the training set's, for a
            validation set). Default: the sorted distinct labels; integer labels keep their value.

    A sample is ``(ids, length, label)``: ids int64 [max_length], length the number of real tokens
    (<= max_length; use it for masking), label an int.
    """

    def __init__(self, path, text_field, label_field, *, format=None, tokenizer="word", lowercase=True,
                 vocab=None, min_freq=1, max_size=None, max_length=128, classes=None, encoding="utf-8"):
        records = read_labelled_records(path, text_field, label_field, format, encoding)
        self.tokenize = {"word": word_tokenize, "char": list}.get(tokenizer, tokenizer)
        if not callable(self.tokenize):
            raise ValueError(f"tokenizer should be 'word', 'char' or a callable, but got {tokenizer!r}")
        self.lowercase, self.max_length = lowercase, max_length
        texts = [r[text_field] for r in records]
        token_lists = [self.tokenize(t.lower() if lowercase else t) for t in texts]
        self.vocab = vocab if vocab is not None else Vocab.build(token_lists, min_freq, max_size)
        self.classes, labels = self._label_ids([r[label_field] for r in records], classes)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.texts = texts
        self.ids = np.zeros((len(records), max_length), np.int64)
        self.lengths = np.zeros(len(records), np.int64)
        for row, tokens in enumerate(token_lists):
            ids = self.vocab.lookup(tokens[:max_length])
            self.ids[row, :len(ids)] = ids
            self.lengths[row] = len(ids)
        self.labels = np.asarray(labels, np.int64)

    @staticmethod
    def _label_ids(values, classes):
        if classes is None:
            try:
                ints = [int(v) for v in values]
            except (TypeError, ValueError):
                classes = sorted({str(v) for v in values})
            else:
                if min(ints) >= 0:  # class ids already: keep them
                    return list(range(max(ints) + 1)), ints
                classes = sorted(set(ints))
        index = {str(c): i for i, c in enumerate(classes)}
        unknown = sorted({str(v) for v in values} - set(index))
        if unknown:
            raise ValueError(f"labels {unknown[:5]} are not among the classes {list(classes)}")
        return list(classes), [index[str(v)] for v in values]

    def encode(self, text):
        """str -> (ids int64 tensor [max_length], length)."""
        ids = self.vocab.lookup(self.tokenize(text.lower() if self.lowercase else text)[:self.max_length])
        out = np.zeros(self.max_length, np.int64)
        out[:len(ids)] = ids
        return from_numpy(out), len(ids)

    def decode(self, ids):
        ids = ids.tolist() if isinstance(ids, Tensor) else ids
        return [self.vocab.itos[i] for i in ids if i != 0]

    @property
    def vocab_size(self):
        return len(self.vocab)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return tensor(self.ids[index]), int(self.lengths[index]), int(self.labels[index])

    def _collate_batch(self, indices):
        """default_collate of the samples at `indices` with one gather (the DataLoader's fast path)."""
        if type(self).__getitem__ is not TextClassification.__getitem__:
            return NotImplemented
        rows = np.asarray(indices, np.int64)
        return [from_numpy(self.ids[rows]), from_numpy(self.lengths[rows]), from_numpy(self.labels[rows])]
