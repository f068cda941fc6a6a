"""GPT-2 in Hugging Face's layout: GPT2LMHeadModel with a key/value cache.

Names are the checkpoint's: transformer.wte / wpe, transformer.h.N.ln_1, attn.c_attn, attn.c_proj, ln_2,
mlp.c_fc, mlp.c_proj, transformer.ln_f; lm_head.weight is tied to transformer.wte.weight (the reference
file usually omits it). c_attn / c_proj / c_fc are Conv1D: weight [in, out], y = x @ weight + bias.

    model = GPT2LMHeadModel.from_pretrained(folder)
    logits, cache = model(input_ids, use_cache=True)            # logits float32 [B, T, vocab]
"""
import tritorch
from tritorch import nn

from .attention import attend
from .bert import activation
from .pretrained import PretrainedMixin


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight [in_features, out_features] (the transpose of nn.Linear's)."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(tritorch.randn(in_features, out_features) * 0.02)
        self.bias = nn.Parameter(tritorch.zeros(out_features))

    def forward(self, x):
        return x @ self.weight + self.bias


class GPT2Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        C = c["n_embd"]
        self.heads = c["n_head"]
        self.c_attn, self.c_proj = Conv1D(C, 3 * C), Conv1D(C, C)

    def forward(self, x, past=None):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y, present = attend(q, k, v, past)
        return self.c_proj(y), present


class GPT2MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        inner = c.get("n_inner") or 4 * c["n_embd"]
        self.c_fc, self.c_proj = Conv1D(c["n_embd"], inner), Conv1D(inner, c["n_embd"])
        self.act = activation(c.get("activation_function", "gelu_new"))

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c.get("layer_norm_epsilon", 1e-5)
        self.ln_1, self.ln_2 = nn.LayerNorm(c["n_embd"], eps=eps), nn.LayerNorm(c["n_embd"], eps=eps)
        self.attn, self.mlp = GPT2Attention(c), GPT2MLP(c)

    def forward(self, x, past=None):
        y, present = self.attn(self.ln_1(x), past)
        x = x + y
        return x + self.mlp(self.ln_2(x)), present


class GPT2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.h = nn.ModuleList([GPT2Block(c) for _ in range(c["n_layer"])])
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=c.get("layer_norm_epsilon", 1e-5))


class GPT2LMHeadModel(PretrainedMixin, nn.Module):
    """forward(input_ids int64 [B, T], past_key_values=None, use_cache=False) -> logits [B, T, vocab],
    or (logits, cache) with use_cache (cache: one (k, v) per layer, [B, heads, S, head_dim] each)."""
    model_types = ("gpt2",)
    ignore_tensors = (".attn.bias", ".attn.masked_bias")

    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        self.transformer = GPT2Model(config)
        self.lm_head = nn.Linear(config["n_embd"], config["vocab_size"], bias=False)
        self._tie_weights()

    @property
    def max_positions(self):
        return self.config["n_positions"]

    def tied_tensors(self):
        return ("lm_head.weight",)

    def _tie_weights(self):
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, input_ids, past_key_values=None, use_cache=False):
        S = past_key_values[0][0].shape[2] if past_key_values else 0
        T = input_ids.shape[1]
        if S + T > self.max_positions:
            raise ValueError(f"GPT2LMHeadModel: {S + T} positions but n_positions is {self.max_positions}")
        t = self.transformer
        x = t.wte(input_ids) + t.wpe(tritorch.arange(S, S + T, device=input_ids.device))
        presents = []
        for i, block in enumerate(t.h):
            x, present = block(x, past_key_values[i] if past_key_values else None)
            presents.append(present)
        logits = self.lm_head(t.ln_f(x))
        return (logits, presents) if use_cache else logits
