"""Small random Hugging Face checkpoints written with numpy + safetensors in the reference layout,
and float64 numpy references of the architectures (for tests/models)."""
import json
import math
import os

import numpy as np
from safetensors.numpy import save_file

GPT2_CONFIG = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 53, "n_positions": 40,
               "n_embd": 24, "n_layer": 2, "n_head": 3, "layer_norm_epsilon": 1e-5,
               "activation_function": "gelu_new"}
LLAMA_CONFIG = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 61,
                "hidden_size": 32, "intermediate_size": 72, "num_hidden_layers": 2, "num_attention_heads": 4,
                "num_key_value_heads": 2, "rms_norm_eps": 1e-5, "rope_theta": 500.0,
                "max_position_embeddings": 64, "tie_word_embeddings": False, "hidden_act": "silu"}
BERT_CONFIG = {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 47, "hidden_size": 24,
               "num_hidden_layers": 2, "num_attention_heads": 3, "intermediate_size": 40,
               "max_position_embeddings": 32, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
               "hidden_act": "gelu", "pad_token_id": 0}


def _w(rng, *shape, scale=0.2):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def gpt2_tensors(rng, c=GPT2_CONFIG):
    C, inner = c["n_embd"], 4 * c["n_embd"]
    t = {"transformer.wte.weight": _w(rng, c["vocab_size"], C), "transformer.wpe.weight": _w(rng, c["n_positions"], C),
         "transformer.ln_f.weight": 1 + _w(rng, C), "transformer.ln_f.bias": _w(rng, C)}
    for i in range(c["n_layer"]):
        p = f"transformer.h.{i}."
        t.update({p + "ln_1.weight": 1 + _w(rng, C), p + "ln_1.bias": _w(rng, C),
                  p + "ln_2.weight": 1 + _w(rng, C), p + "ln_2.bias": _w(rng, C),
                  p + "attn.c_attn.weight": _w(rng, C, 3 * C), p + "attn.c_attn.bias": _w(rng, 3 * C),
                  p + "attn.c_proj.weight": _w(rng, C, C), p + "attn.c_proj.bias": _w(rng, C),
                  p + "mlp.c_fc.weight": _w(rng, C, inner), p + "mlp.c_fc.bias": _w(rng, inner),
                  p + "mlp.c_proj.weight": _w(rng, inner, C), p + "mlp.c_proj.bias": _w(rng, C)})
    return t


def llama_tensors(rng, c=LLAMA_CONFIG):
    H, I, D = c["hidden_size"], c["intermediate_size"], c["hidden_size"] // c["num_attention_heads"]
    t = {"model.embed_tokens.weight": _w(rng, c["vocab_size"], H), "model.norm.weight": 1 + _w(rng, H),
         "lm_head.weight": _w(rng, c["vocab_size"], H)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t.update({p + "input_layernorm.weight": 1 + _w(rng, H), p + "post_attention_layernorm.weight": 1 + _w(rng, H),
                  p + "self_attn.q_proj.weight": _w(rng, c["num_attention_heads"] * D, H),
                  p + "self_attn.k_proj.weight": _w(rng, c["num_key_value_heads"] * D, H),
                  p + "self_attn.v_proj.weight": _w(rng, c["num_key_value_heads"] * D, H),
                  p + "self_attn.o_proj.weight": _w(rng, H, c["num_attention_heads"] * D),
                  p + "mlp.gate_proj.weight": _w(rng, I, H), p + "mlp.up_proj.weight": _w(rng, I, H),
                  p + "mlp.down_proj.weight": _w(rng, H, I)})
    return t


def bert_tensors(rng, c=BERT_CONFIG):
    H, I = c["hidden_size"], c["intermediate_size"]
    t = {"embeddings.word_embeddings.weight": _w(rng, c["vocab_size"], H),
         "embeddings.position_embeddings.weight": _w(rng, c["max_position_embeddings"], H),
         "embeddings.token_type_embeddings.weight": _w(rng, c["type_vocab_size"], H),
         "embeddings.LayerNorm.weight": 1 + _w(rng, H), "embeddings.LayerNorm.bias": _w(rng, H),
         "embeddings.position_ids": np.arange(c["max_position_embeddings"], dtype=np.int64)[None],
         "pooler.dense.weight": _w(rng, H, H), "pooler.dense.bias": _w(rng, H)}
    for i in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name in ("query", "key", "value"):
            t[p + f"attention.self.{name}.weight"], t[p + f"attention.self.{name}.bias"] = _w(rng, H, H), _w(rng, H)
        t.update({p + "attention.output.dense.weight": _w(rng, H, H), p + "attention.output.dense.bias": _w(rng, H),
                  p + "attention.output.LayerNorm.weight": 1 + _w(rng, H),
                  p + "attention.output.LayerNorm.bias": _w(rng, H),
                  p + "intermediate.dense.weight": _w(rng, I, H), p + "intermediate.dense.bias": _w(rng, I),
                  p + "output.dense.weight": _w(rng, H, I), p + "output.dense.bias": _w(rng, H),
                  p + "output.LayerNorm.weight": 1 + _w(rng, H), p + "output.LayerNorm.bias": _w(rng, H)})
    return t


def write(folder, config, tensors):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)
    save_file(tensors, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    return str(folder)


# -- float64 references -----------------------------------------------------------------------------
def _ln(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def _softmax(s):
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(-1, keepdims=True)


def _causal_attention(q, k, v):
    """q [H, T, D], k/v [H, T, D] -> [T, H * D]."""
    T = q.shape[1]
    s = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
    s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
    return (_softmax(s) @ v).transpose(1, 0, 2).reshape(T, -1)


def gpt2_reference(t, ids, c=GPT2_CONFIG):
    """logits float64 [T, vocab] of one sequence."""
    t = {k: v.astype(np.float64) for k, v in t.items()}
    C, nh, eps = c["n_embd"], c["n_head"], c["layer_norm_epsilon"]
    x = t["transformer.wte.weight"][ids] + t["transformer.wpe.weight"][np.arange(len(ids))]
    for i in range(c["n_layer"]):
        p = f"transformer.h.{i}."
        h = _ln(x, t[p + "ln_1.weight"], t[p + "ln_1.bias"], eps)
        qkv = h @ t[p + "attn.c_attn.weight"] + t[p + "attn.c_attn.bias"]
        q, k, v = (qkv[:, j * C:(j + 1) * C].reshape(len(ids), nh, -1).transpose(1, 0, 2) for j in range(3))
        x = x + _causal_attention(q, k, v) @ t[p + "attn.c_proj.weight"] + t[p + "attn.c_proj.bias"]
        h = _ln(x, t[p + "ln_2.weight"], t[p + "ln_2.bias"], eps) @ t[p + "mlp.c_fc.weight"] + t[p + "mlp.c_fc.bias"]
        h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))
        x = x + h @ t[p + "mlp.c_proj.weight"] + t[p + "mlp.c_proj.bias"]
    return _ln(x, t["transformer.ln_f.weight"], t["transformer.ln_f.bias"], eps) @ t["transformer.wte.weight"].T


def _rms(x, w, eps):
    return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * w


def _rope(x, theta):
    """x [H, T, D]: rotate pairs (i, i + D/2) by position / theta^(2i/D)."""
    D, T = x.shape[-1], x.shape[1]
    ang = np.arange(T)[:, None] / theta ** (np.arange(0, D, 2) / D)[None, :]
    x1, x2 = x[..., :D // 2], x[..., D // 2:]
    cos, sin = np.cos(ang), np.sin(ang)
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


def llama_reference(t, ids, c=LLAMA_CONFIG):
    t = {k: v.astype(np.float64) for k, v in t.items()}
    nh, nkv, eps, T = c["num_attention_heads"], c["num_key_value_heads"], c["rms_norm_eps"], len(ids)
    x = t["model.embed_tokens.weight"][ids]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = _rms(x, t[p + "input_layernorm.weight"], eps)
        q = (h @ t[p + "self_attn.q_proj.weight"].T).reshape(T, nh, -1).transpose(1, 0, 2)
        k = (h @ t[p + "self_attn.k_proj.weight"].T).reshape(T, nkv, -1).transpose(1, 0, 2)
        v = (h @ t[p + "self_attn.v_proj.weight"].T).reshape(T, nkv, -1).transpose(1, 0, 2)
        q, k = _rope(q, c["rope_theta"]), _rope(k, c["rope_theta"])
        k, v = np.repeat(k, nh // nkv, 0), np.repeat(v, nh // nkv, 0)  # query head j uses kv head j // group
        x = x + _causal_attention(q, k, v) @ t[p + "self_attn.o_proj.weight"].T
        h = _rms(x, t[p + "post_attention_layernorm.weight"], eps)
        g, u = h @ t[p + "mlp.gate_proj.weight"].T, h @ t[p + "mlp.up_proj.weight"].T
        x = x + (g / (1 + np.exp(-g)) * u) @ t[p + "mlp.down_proj.weight"].T
    return _rms(x, t["model.norm.weight"], eps) @ t["lm_head.weight"].T


def bert_reference(t, ids, mask, c=BERT_CONFIG):
    """last_hidden_state float64 [B, T, H] of BertModel (exact-erf GELU, padding keys masked out)."""
    t = {k: v.astype(np.float64) for k, v in t.items()}
    erf = np.vectorize(math.erf)
    nh, eps = c["num_attention_heads"], c["layer_norm_eps"]
    B, T = ids.shape
    x = (t["embeddings.word_embeddings.weight"][ids] + t["embeddings.position_embeddings.weight"][np.arange(T)]
         + t["embeddings.token_type_embeddings.weight"][0])
    x = _ln(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)
    for i in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = ((x @ t[p + f"attention.self.{n}.weight"].T + t[p + f"attention.self.{n}.bias"])
                   .reshape(B, T, nh, -1).transpose(0, 2, 1, 3) for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1])
        s = np.where(mask[:, None, None, :] > 0, s, -1e30)
        y = (_softmax(s) @ v).transpose(0, 2, 1, 3).reshape(B, T, -1)
        y = y @ t[p + "attention.output.dense.weight"].T + t[p + "attention.output.dense.bias"]
        x = _ln(y + x, t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"], eps)
        h = x @ t[p + "intermediate.dense.weight"].T + t[p + "intermediate.dense.bias"]
        h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
        y = h @ t[p + "output.dense.weight"].T + t[p + "output.dense.bias"]
        x = _ln(y + x, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"], eps)
    return x
