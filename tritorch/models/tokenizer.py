"""A fast Hugging Face tokenizer (the optional `tokenizers` package) returning tritorch tensors.

    tok = Tokenizer.from_pretrained(folder)                     # folder/tokenizer.json
    enc = tok(["a film", "dull"], padding=True, truncation=True, max_length=128)
    enc["input_ids"], enc["attention_mask"]                     # int64 [B, T] each
    tok.decode(enc["input_ids"][0].tolist(), skip_special_tokens=True)

padding: False (lists of unequal length; tensors only when every text has the same length), True or
'longest' (to the longest text of the batch), 'max_length' (to max_length).
"""
import os

import numpy as np


def _tokenizers():
    try:
        import tokenizers
    except ImportError:
        raise ImportError("tritorch.models.Tokenizer needs Hugging Face's tokenizers: "
                          "pip install 'tritorch[pretrained]' (or pip install tokenizers)") from None
    return tokenizers


class Tokenizer:
    """Wraps a `tokenizers.Tokenizer`. pad_token_id: from the tokenizer's padding settings, else the
    id of [PAD] / <pad>, else 0."""

    def __init__(self, tokenizer):
        self.backend = tokenizer
        pad = tokenizer.padding
        if pad is not None:
            self.pad_token_id = pad["pad_id"]
        else:
            ids = [tokenizer.token_to_id(t) for t in ("[PAD]", "<pad>", "<|endoftext|>")]
            self.pad_token_id = next((i for i in ids if i is not None), 0)
        self.backend.no_padding()
        self.backend.no_truncation()

    @classmethod
    def from_pretrained(cls, folder):
        from .checkpoint import LoadError
        path = os.path.join(os.fspath(folder), "tokenizer.json")
        if not os.path.isfile(path):
            raise LoadError(f"{folder}: no tokenizer.json")
        tokenizers = _tokenizers()
        try:
            return cls(tokenizers.Tokenizer.from_file(path))
        except Exception as e:  # the Rust parser's error: one line naming the file
            raise LoadError(f"{path} is not a valid tokenizer file: {str(e).splitlines()[0]}") from None

    @property
    def vocab_size(self):
        return self.backend.get_vocab_size()

    def encode(self, text, add_special_tokens=True):
        """str -> list of int ids."""
        return self.backend.encode(text, add_special_tokens=add_special_tokens).ids

    def decode(self, ids, skip_special_tokens=True):
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        return self.backend.decode(list(ids), skip_special_tokens=skip_special_tokens)

    def __call__(self, texts, padding=False, truncation=False, max_length=None, return_tensors="pt",
                 add_special_tokens=True):
        """{'input_ids', 'attention_mask'} (int64 tensors [B, T], or lists when return_tensors=None)."""
        import tritorch
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("Tokenizer expects a string or a list of strings")
        if padding not in (False, True, "longest", "max_length", "do_not_pad"):
            raise ValueError(f"padding should be True, False, 'longest' or 'max_length', got {padding!r}")
        if (truncation or padding == "max_length") and max_length is None:
            raise ValueError(f"padding={padding!r} / truncation=True need max_length")
        encs = self.backend.encode_batch(texts, add_special_tokens=add_special_tokens)
        ids = [e.ids for e in encs]
        if truncation:
            ids = [x if len(x) <= max_length else x[:max_length - 1] + x[-1:] if add_special_tokens and
                   self._ends_special(x) else x[:max_length] for x in ids]
        if padding in (False, "do_not_pad"):
            width = None
        else:
            width = max_length if padding == "max_length" else max((len(x) for x in ids), default=0)
        if width is None:
            if return_tensors is None or len({len(x) for x in ids}) > 1:
                if return_tensors is not None:
                    raise ValueError("texts of different lengths: pass padding=True to batch them as tensors")
                masks = [[1] * len(x) for x in ids]
                return {"input_ids": ids[0] if single else ids, "attention_mask": masks[0] if single else masks}
            width = len(ids[0]) if ids else 0
        out = np.full((len(ids), width), self.pad_token_id, np.int64)
        mask = np.zeros((len(ids), width), np.int64)
        for row, x in enumerate(ids):
            x = x[:width]
            out[row, :len(x)], mask[row, :len(x)] = x, 1
        if return_tensors is None:
            return {"input_ids": out.tolist(), "attention_mask": mask.tolist()}
        return {"input_ids": tritorch.from_numpy(out), "attention_mask": tritorch.from_numpy(mask)}

    def _ends_special(self, ids):
        """True when the encoding ends with a special token ([SEP]) that truncation should keep."""
        sep = self.backend.token_to_id("[SEP]")
        return sep is not None and ids and ids[-1] == sep
