"""Causal self-attention with a key/value cache, shared by the decoders (GPT-2, Llama).

A cache entry per layer is (keys [B, Hkv, S, D], values [B, Hkv, S, D]) of the S positions seen so far;
a call with T new positions attends to the S + T keys, position i of the new ones (absolute S + i)
seeing keys 0..S + i.
"""
import numpy as np

import tritorch
from tritorch.nn import functional as F


def causal_mask(T, S, device):
    """bool [T, S + T]: True where new position i (absolute S + i) may attend to key j."""
    keep = np.arange(S + T)[None, :] <= (S + np.arange(T))[:, None]
    return tritorch.from_numpy(keep).to(device)


def attend(q, k, v, past=None):
    """q [B, H, T, D], k/v [B, Hkv, T, D] (H a multiple of Hkv: grouped-query attention), past: the
    layer's cache entry or None -> (y [B, T, H * D], new cache entry)."""
    if past is not None:
        k, v = tritorch.cat([past[0], k], 2), tritorch.cat([past[1], v], 2)
    B, H, T, D = q.shape
    S = k.shape[2] - T
    present = (k, v)
    if k.shape[1] != H:  # every group of H // Hkv query heads shares one key/value head
        k, v = (x.repeat_interleave(H // x.shape[1], dim=1) for x in (k, v))
    mask = None if S == 0 and T == 1 else causal_mask(T, S, q.device)
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return y.transpose(1, 2).reshape(B, T, H * D), present
