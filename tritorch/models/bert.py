"""BERT encoders in Hugging Face's layout (BERT, MiniLM, all-MiniLM-L6-v2): BertModel,
BertForSequenceClassification, and sentence embeddings (mean pooling + L2 normalisation).

    model = BertModel.from_pretrained(folder)                  # config.json + model.safetensors
    out = model(input_ids, attention_mask)                      # (last_hidden_state [B, T, H], pooler [B, H])
    emb = mean_pool(out[0], attention_mask, normalize=True)     # float32 [B, H], as sentence-transformers

Parameter names are the checkpoint's (`embeddings.word_embeddings.weight`,
`encoder.layer.3.attention.self.query.weight`, `pooler.dense.bias`, ...), so loading is a name-for-name
match and save_pretrained writes the same layout back.
"""
import tritorch
from tritorch import nn
from tritorch.nn import functional as F

from .pretrained import PretrainedMixin

ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu, "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
               "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu}


def activation(name):
    if name not in ACTIVATIONS:
        from .checkpoint import LoadError
        raise LoadError(f"config.json: hidden_act {name!r} is not supported (supported: {sorted(ACTIVATIONS)})")
    return ACTIVATIONS[name]


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, input_ids, token_type_ids=None):
        T = input_ids.shape[1]
        positions = tritorch.arange(T, device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        if token_type_ids is None:
            x = x + self.token_type_embeddings.weight[0]
        else:
            x = x + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.dropout_p = c.get("attention_probs_dropout_prob", 0.1)

    def forward(self, x, mask):
        B, T, H = x.shape
        heads = (self.query, self.key, self.value)
        q, k, v = (m(x).view(B, T, self.heads, H // self.heads).transpose(1, 2) for m in heads)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout_p if self.training else 0.0)
        return y.transpose(1, 2).reshape(B, T, H)


class BertSelfOutput(nn.Module):
    def __init__(self, c, width):
        super().__init__()
        self.dense = nn.Linear(width, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, y, residual):
        return self.LayerNorm(self.dropout(self.dense(y)) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c, c["hidden_size"])

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.act = activation(c.get("hidden_act", "gelu"))

    def forward(self, x):
        return self.act(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertSelfOutput(c, c["intermediate_size"])

    def forward(self, x, mask):
        x = self.attention(x, mask)
        return self.output(self.intermediate(x), x)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x):
        return tritorch.tanh(self.dense(x[:, 0]))


def additive_mask(attention_mask, dtype):
    """attention_mask [B, T] (1 = token, 0 = padding) -> additive float mask [B, 1, 1, T] (0 or -inf-ish)."""
    if attention_mask is None:
        return None
    keep = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - keep) * tritorch.finfo(dtype).min


class BertModel(PretrainedMixin, nn.Module):
    """The BERT encoder. config: a dict with config.json's keys (hidden_size, num_hidden_layers, ...).

    forward(input_ids int64 [B, T], attention_mask [B, T] (1/0, optional), token_type_ids [B, T] (optional))
    -> (last_hidden_state [B, T, H], pooler_output [B, H] or None without a pooler).
    """
    model_types = ("bert",)
    base_prefix = ""
    ignore_tensors = ("embeddings.position_ids",)

    def __init__(self, config, add_pooling_layer=True):
        super().__init__()
        self.config = dict(config)
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None

    @classmethod
    def _build(cls, config, tensors):
        return cls(config, add_pooling_layer=any(k.startswith("pooler.") for k in tensors))

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        x = self.embeddings(input_ids, token_type_ids)
        x = self.encoder(x, additive_mask(attention_mask, x.dtype))
        return x, (self.pooler(x) if self.pooler is not None else None)


class BertForSequenceClassification(PretrainedMixin, nn.Module):
    """BertModel + dropout + Linear on the pooled [CLS] output -> logits [B, num_labels].

    from_pretrained(folder, num_labels=N) also accepts a bare encoder checkpoint (BertModel's names):
    the classifier is then new (initialised as Linear), everything else strict.
    """
    model_types = ("bert",)
    base_prefix = "bert."
    ignore_tensors = ("bert.embeddings.position_ids",)
    new_tensors = ("classifier.weight", "classifier.bias")

    def __init__(self, config, num_labels=None):
        super().__init__()
        self.config = dict(config)
        self.num_labels = num_labels or config.get("num_labels") or len(config.get("id2label", {})) or 2
        self.config["num_labels"] = self.num_labels
        self.bert = BertModel(config)
        self.dropout = nn.Dropout(config.get("classifier_dropout") or config.get("hidden_dropout_prob", 0.1))
        self.classifier = nn.Linear(config["hidden_size"], self.num_labels)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        _, pooled = self.bert(input_ids, attention_mask, token_type_ids)
        return self.classifier(self.dropout(pooled))


def mean_pool(hidden, attention_mask=None, normalize=True):
    """Mean of the token vectors where attention_mask is 1 (sentence-transformers' mean pooling), then
    L2-normalised when `normalize`. hidden [B, T, H], attention_mask [B, T] -> [B, H]."""
    if attention_mask is None:
        pooled = hidden.mean(1)
    else:
        m = attention_mask[:, :, None].to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return F.normalize(pooled, p=2.0, dim=-1) if normalize else pooled


def encode_sentences(model, tokenizer, sentences, batch_size=32, max_length=256, normalize=True):
    """Sentence embeddings (float32 numpy [N, H]) of a list of strings with a BertModel and a Tokenizer."""
    import numpy as np
    was_training = model.training
    model.eval()
    outs = []
    device = next(model.parameters()).device
    with tritorch.no_grad():
        for start in range(0, len(sentences), batch_size):
            enc = tokenizer(sentences[start:start + batch_size], padding=True, truncation=True, max_length=max_length)
            ids, mask = enc["input_ids"].to(device), enc["attention_mask"].to(device)
            hidden, _ = model(ids, mask)
            outs.append(mean_pool(hidden, mask, normalize).float().cpu().numpy())
    model.train(was_training)
    return np.concatenate(outs) if outs else np.zeros((0, model.config["hidden_size"]), np.float32)

