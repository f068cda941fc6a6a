"""Small models for the example configs (any tritorch.nn class works in a config too, and your own with `imports:`).

    MLP             [B, in_features] float32 -> logits [B, num_classes]
    SimpleCNN       [B, C, H, W] float32 -> logits [B, num_classes] (two conv-relu-pool blocks)
    CharGPT         [B, T] int64 -> logits [B, T, vocab_size] (GPT-style decoder, causal mask)
    TextClassifier  ([B, L] int64 ids, [B] int64 lengths) -> logits [B, num_classes]
"""
import functools

import tritorch
from .. import nn
from ..nn import functional as F


class MLP(nn.Module):
    """Linear -> activation (-> dropout) for each hidden size, then a Linear head.

    Args:
        in_features (int): input size.
        hidden_sizes (list of int): widths of the hidden layers. Default: ``[128]``.
        num_classes (int): output size. Default: ``10``.
        dropout (float): after each hidden activation. Default: ``0.0``.
        activation (str): ``'relu'``, ``'gelu'``, ``'tanh'`` or ``'silu'``. Default: ``'relu'``.
    """

    def __init__(self, in_features, hidden_sizes=(128,), num_classes=10, dropout=0.0, activation="relu"):
        super().__init__()
        acts = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU}
        if activation not in acts:
            raise ValueError(f"activation should be one of {sorted(acts)}, got {activation!r}")
        layers, width = [], in_features
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), acts[activation]()] + ([nn.Dropout(dropout)] if dropout else [])
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x.flatten(1))


class SimpleCNN(nn.Module):
    """Two blocks of Conv2d(3x3, padding 1) -> ReLU -> MaxPool2d(2), then Linear -> ReLU -> Linear.

    Args:
        in_channels (int): image channels. Default: ``1``.
        num_classes (int): Default: ``10``.
        channels (list of int): the two conv widths. Default: ``[16, 32]``.
        image_size (int): H = W of the input (8 for Digits, 28 for MNIST). Default: ``28``.
        hidden (int): width of the hidden Linear. Default: ``64``.
        dropout (float): before the head. Default: ``0.0``.
    """

    def __init__(self, in_channels=1, num_classes=10, channels=(16, 32), image_size=28, hidden=64, dropout=0.0):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        side = image_size // 4
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c2 * side * side, hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


class CharGPT(nn.Module):
    """A GPT-style decoder: token + learned position embeddings, pre-norm TransformerEncoder layers
    under a causal mask, a final LayerNorm and a Linear head over the vocabulary. The feed-forward
    activation is GPT-2's tanh-approximated GELU.

    Args:
        vocab_size (int): number of tokens.
        block_size (int): the longest context (positions).
        d_model (int): width. Default: ``128``.
        nhead (int): attention heads. Default: ``4``.
        num_layers (int): Default: ``4``.
        dim_feedforward (int, optional): Default: ``4 * d_model``.
        dropout (float): Default: ``0.1``.
    """

    def __init__(self, vocab_size, block_size, d_model=128, nhead=4, num_layers=4, dim_feedforward=None,
                 dropout=0.1):
        super().__init__()
        self.block_size = block_size
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        self.drop = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward or 4 * d_model, dropout,
                                           activation=functools.partial(F.gelu, approximate="tanh"),
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model),
                                            enable_nested_tensor=False)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, idx):
        t = idx.shape[1]
        if t > self.block_size:
            raise ValueError(f"CharGPT: sequence of length {t} is longer than block_size={self.block_size}")
        x = self.drop(self.tok(idx) + self.pos(tritorch.arange(t, device=idx.device)))  # (B, T, d)
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=idx.device)
        return self.head(self.blocks(x, mask=mask, is_causal=True))                 # (B, T, vocab)


class TextClassifier(nn.Module):
    """Embedding -> encoder (LSTM or Transformer) -> pooling over the real tokens -> Linear.

    Args:
        vocab_size (int): vocabulary size (id 0 is padding).
        num_classes (int): Default: ``2``.
        embedding_dim (int): Default: ``64``.
        hidden_size (int): LSTM hidden size (per direction) or Transformer feed-forward width. Default: ``64``.
        encoder (str): ``'lstm'`` or ``'transformer'``. Default: ``'lstm'``.
        num_layers (int): Default: ``1``.
        nhead (int): heads of the Transformer encoder. Default: ``4``.
        bidirectional (bool): for the LSTM. Default: ``True``.
        pooling (str): ``'mean'`` or ``'max'`` over the first `lengths` positions. Default: ``'mean'``.
        max_length (int): positions of the Transformer's learned embedding. Default: ``512``.
        dropout (float): Default: ``0.1``.
    """

    def __init__(self, vocab_size, num_classes=2, embedding_dim=64, hidden_size=64, encoder="lstm", num_layers=1,
                 nhead=4, bidirectional=True, pooling="mean", max_length=512, dropout=0.1):
        super().__init__()
        if encoder not in ("lstm", "transformer"):
            raise ValueError(f"encoder should be 'lstm' or 'transformer', got {encoder!r}")
        if pooling not in ("mean", "max"):
            raise ValueError(f"pooling should be 'mean' or 'max', got {pooling!r}")
        self.encoder_type, self.pooling = encoder, pooling
        self.embed = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        if encoder == "lstm":
            self.encoder = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True,
                                   bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
            width = hidden_size * (2 if bidirectional else 1)
        else:
            self.pos = nn.Embedding(max_length, embedding_dim)
            layer = nn.TransformerEncoderLayer(embedding_dim, nhead, hidden_size, dropout, batch_first=True,
                                               norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
            width = embedding_dim
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(width, num_classes)

    def forward(self, ids, lengths=None):
        b, n = ids.shape
        positions = tritorch.arange(n, device=ids.device)
        if lengths is None:
            lengths = (ids != 0).sum(1)
        valid = positions.unsqueeze(0) < lengths.clamp(min=1).unsqueeze(1)        # (B, L) bool
        x = self.embed(ids)                                                      # (B, L, E)
        if self.encoder_type == "lstm":
            x, _ = self.encoder(x)                                               # (B, L, H*dirs)
        else:
            x = self.encoder(x + self.pos(positions), src_key_padding_mask=~valid)
        w = valid.unsqueeze(-1).to(x.dtype)
        if self.pooling == "mean":
            pooled = (x * w).sum(1) / w.sum(1)
        else:
            pooled = x.masked_fill(~valid.unsqueeze(-1), float("-inf")).amax(1)
        return self.head(self.drop(pooled))
