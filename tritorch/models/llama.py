"""A Llama-style decoder in Hugging Face's layout: LlamaForCausalLM (RMSNorm, rotary position
embeddings with rope_theta, SwiGLU feed-forward, grouped-query attention) with a key/value cache.

Names: model.embed_tokens, model.layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
post_attention_layernorm, mlp.{gate,up,down}_proj}, model.norm, lm_head (tied to embed_tokens when
config.tie_word_embeddings). Rotary embeddings rotate the two halves of each head (HF's rotate_half).

    model = LlamaForCausalLM.from_pretrained(folder)
    logits, cache = model(input_ids, use_cache=True)            # logits [B, T, vocab]
"""
import numpy as np

import tritorch
from tritorch import nn
from tritorch.nn import functional as F

from .attention import attend
from .pretrained import PretrainedMixin


def rotary_tables(positions, head_dim, theta):
    """cos, sin float32 [T, head_dim] for integer positions (numpy [T]): angle p / theta^(2i/d), twice."""
    inv_freq = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    angles = positions[:, None].astype(np.float64) * inv_freq[None, :]
    angles = np.concatenate([angles, angles], -1)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def apply_rotary(x, cos, sin):
    """x [B, H, T, D] rotated: x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1)."""
    half = x.shape[-1] // 2
    rotated = tritorch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rotated * sin


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads") or self.heads
        self.head_dim = c.get("head_dim") or H // self.heads
        if self.heads % self.kv_heads:
            raise ValueError(f"num_attention_heads ({self.heads}) is not a multiple of num_key_value_heads "
                             f"({self.kv_heads})")
        bias = bool(c.get("attention_bias", False))
        self.q_proj = nn.Linear(H, self.heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(H, self.kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(H, self.kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.heads * self.head_dim, H, bias=bias)

    def forward(self, x, cos, sin, past=None):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        y, present = attend(apply_rotary(q, cos, sin), apply_rotary(k, cos, sin), v, past)
        return self.o_proj(y), present


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, inner = c["hidden_size"], c["intermediate_size"]
        self.gate_proj, self.up_proj = nn.Linear(H, inner, bias=False), nn.Linear(H, inner, bias=False)
        self.down_proj = nn.Linear(inner, H, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c.get("rms_norm_eps", 1e-6)
        self.input_layernorm = nn.RMSNorm(c["hidden_size"], eps=eps)
        self.post_attention_layernorm = nn.RMSNorm(c["hidden_size"], eps=eps)
        self.self_attn, self.mlp = LlamaAttention(c), LlamaMLP(c)

    def forward(self, x, cos, sin, past=None):
        y, present = self.self_attn(self.input_layernorm(x), cos, sin, past)
        x = x + y
        return x + self.mlp(self.post_attention_layernorm(x)), present


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([LlamaDecoderLayer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = nn.RMSNorm(c["hidden_size"], eps=c.get("rms_norm_eps", 1e-6))


class LlamaForCausalLM(PretrainedMixin, nn.Module):
    """forward(input_ids int64 [B, T], past_key_values=None, use_cache=False) -> logits [B, T, vocab],
    or (logits, cache) with use_cache (cache: one (k, v) per layer, [B, kv_heads, S, head_dim] each)."""
    model_types = ("llama",)
    ignore_tensors = (".rotary_emb.inv_freq",)

    def __init__(self, config):
        super().__init__()
        if config.get("rope_scaling"):
            raise ValueError(f"LlamaForCausalLM: rope_scaling {config['rope_scaling']!r} is not supported")
        act = config.get("hidden_act", "silu")
        if act != "silu":
            raise ValueError(f"LlamaForCausalLM: hidden_act {act!r} is not supported (SwiGLU uses 'silu')")
        self.config = dict(config)
        self.model = LlamaModel(config)
        self.lm_head = nn.Linear(config["hidden_size"], config["vocab_size"], bias=False)
        self.head_dim = self.model.layers[0].self_attn.head_dim if len(self.model.layers) else 0
        self._tie_weights()

    @property
    def max_positions(self):
        return self.config.get("max_position_embeddings", 2048)

    def tied_tensors(self):
        return ("lm_head.weight",) if self.config.get("tie_word_embeddings", False) else ()

    def _tie_weights(self):
        if self.config.get("tie_word_embeddings", False):
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, input_ids, past_key_values=None, use_cache=False):
        S = past_key_values[0][0].shape[2] if past_key_values else 0
        T = input_ids.shape[1]
        cos, sin = rotary_tables(np.arange(S, S + T), self.head_dim, float(self.config.get("rope_theta", 10000.0)))
        x = self.model.embed_tokens(input_ids)
        cos, sin = (tritorch.from_numpy(t).to(x.device).to(x.dtype) for t in (cos, sin))
        presents = []
        for i, layer in enumerate(self.model.layers):
            x, present = layer(x, cos, sin, past_key_values[i] if past_key_values else None)
            presents.append(present)
        logits = self.lm_head(self.model.norm(x))
        return (logits, presents) if use_cache else logits
