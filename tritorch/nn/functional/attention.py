"""scaled_dot_product_attention (one fused primitive: the backend's `attention` and
`attention_backward`, the flash-attention kernels on cuda) and multi_head_attention_forward."""
import math
import warnings

import tritorch
from ... import _random
from ...autograd import grad_mode
from ...autograd.function import Function
from ...amp.autocast import autocast_args
from ..._ops._util import wrap
from .activation import softmax
from .linear import linear
from .misc import dropout, pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_C_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
           "bool": "bool", "int64": "long int", "int32": "int", "uint8": "unsigned char"}


def _ctype(dtype):
    return _C_TYPE.get(dtype.name, dtype.name)


# -- the fused op ----------------------------------------------------------------------------------
def _probs(q, k, mask, is_causal, scale):
    """softmax(scale * q @ k^T + mask) in Tensor ops, k's heads repeated to q's (GQA), rows with no
    key to attend all 0. q: (B, H, L, E); k: (B, H_kv, S, E) -> (B, H, L, S)."""
    k = _repeat_heads(k, q.shape[1])
    s = (q @ k.mT) * scale
    if is_causal:
        s = s.masked_fill(~tritorch.ones(s.shape[-2:], dtype=tritorch.bool, device=s.device).tril(), -math.inf)
    if mask is not None:
        s = s.masked_fill(~mask, -math.inf) if mask.dtype is tritorch.bool else s + mask
    alive = (s > -math.inf).any(-1, keepdim=True)
    p = tritorch.where(alive, s, 0.0).softmax(-1)  # dead rows: a finite softmax, zeroed below
    return tritorch.where(alive, p, 0.0)


def _repeat_heads(x, heads):
    """(B, H_kv, S, D) -> (B, heads, S, D), each kv head repeated for its group (repeat_interleave)."""
    b, h_kv, s, d = x.shape
    if h_kv == heads:
        return x
    return x.unsqueeze(2).expand(b, h_kv, heads // h_kv, s, d).reshape(b, heads, s, d)


def _fold_heads(x, h_kv):
    """(B, H, S, D) -> (B, h_kv, S, D), summing the query heads of each kv group."""
    b, h, s, d = x.shape
    return x if h == h_kv else x.reshape(b, h_kv, h // h_kv, s, d).sum(2)


def _keep_scale(q, k, dropout_p, seed):
    shape = (q.shape[0], q.shape[1], q.shape[2], k.shape[2])
    keep = wrap(q._b.attention_dropout_mask(shape, dropout_p, seed), q.device)
    return keep.to(q.dtype) * (1.0 / (1.0 - dropout_p))


def _attention_math(q, k, v, mask, is_causal, scale, dropout_p, seed):
    """The fused op's forward in Tensor ops (for masks that need a gradient)."""
    p = _probs(q, k, mask, is_causal, scale)
    if dropout_p:
        p = p * _keep_scale(q, k, dropout_p, seed)
    return p @ _repeat_heads(v, q.shape[1])


def _attention_grads_math(g, q, k, v, mask, is_causal, scale, dropout_p, seed):
    """(dq, dk, dv) in Tensor ops, so that create_graph=True can differentiate them again."""
    h_kv = k.shape[1]
    p = _probs(q, k, mask, is_causal, scale)
    dp = g @ _repeat_heads(v, q.shape[1]).mT
    pd = p
    if dropout_p:
        keep = _keep_scale(q, k, dropout_p, seed)
        pd, dp = p * keep, dp * keep
    ds = p * (dp - (p * dp).sum(-1, keepdim=True))
    dq = ds @ _repeat_heads(k, q.shape[1]) * scale
    return dq, _fold_heads(ds.mT @ q, h_kv) * scale, _fold_heads(pd.mT @ g, h_kv)


class Attention(Function):
    """out = dropout(softmax(scale * q @ k^T + mask)) @ v via the backend's `attention` primitive.

    q: (B, H, L, E); k: (B, H_kv, S, E); v: (B, H_kv, S, Ev) with H % H_kv == 0; mask: None, bool
    (True = take part) or float (added), broadcastable to (B, H, L, S), no gradient; seed: the
    dropout seed (the backward regenerates the same mask from it)."""

    @staticmethod
    def forward(ctx, q, k, v, mask, is_causal, scale, dropout_p, seed):
        m = None if mask is None else mask._data
        out, lse = q._b.attention(q._data, k._data, v._data, m, is_causal, scale, dropout_p, seed)
        out = wrap(out, q.device)
        ctx.save_for_backward(q, k, v, out, wrap(lse, q.device), mask)
        ctx.args = (is_causal, scale, dropout_p, seed)
        return out

    @staticmethod
    def backward(ctx, g):
        q, k, v, out, lse, mask = ctx.saved_tensors
        is_causal, scale, dropout_p, seed = ctx.args
        if grad_mode.is_grad_enabled():  # create_graph=True: gradients that are differentiable again
            dq, dk, dv = _attention_grads_math(g, q, k, v, mask, is_causal, scale, dropout_p, seed)
        else:
            m = None if mask is None else mask._data
            dq, dk, dv = (wrap(a, q.device) for a in q._b.attention_backward(
                g._data, q._data, k._data, v._data, out._data, lse._data, m, is_causal, scale,
                dropout_p, seed))
        return dq, dk, dv, None, None, None, None, None


# -- scaled_dot_product_attention ----------------------------------------------------------------------
def _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa):
    q, k, v = query, key, value
    if not q.dtype == k.dtype == v.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_ctype(q.dtype)} key.dtype: {_ctype(k.dtype)} and value.dtype: {_ctype(v.dtype)} "
                           "instead.")
    if not q.device == k.device == v.device:
        raise RuntimeError(f"Expected query, key, and value to have the same device type, but got query.device: "
                           f"{q.device} key.device: {k.device} and value.device: {v.device} instead.")
    if min(q.dim(), k.dim(), v.dim()) < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{q.dim()} key.dim: {k.dim()} and value.dim: {v.dim()} instead.")
    if not q.dtype.is_floating_point:
        raise RuntimeError(f"scaled_dot_product_attention: expected a floating point query, got {_ctype(q.dtype)}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query {list(q.shape)}, key {list(k.shape)} and value "
                           f"{list(v.shape)} must be (..., L, E), (..., S, E) and (..., S, Ev)")
    if attn_mask is not None:
        m = attn_mask.dtype
        if not (m is tritorch.bool or m is tritorch.float32 or m is q.dtype):
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_ctype(m)} and  query.dtype: {_ctype(q.dtype)} instead.")
        if attn_mask.device != q.device:
            raise RuntimeError(f"Expected attn_mask to be on {q.device}, but got {attn_mask.device}")
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if enable_gqa:
        if q.dim() < 3 or k.dim() < 3 or v.dim() < 3:
            raise RuntimeError("scaled_dot_product_attention: enable_gqa=True needs a heads dimension (-3) in "
                               f"query {list(q.shape)}, key {list(k.shape)} and value {list(v.shape)}")
        hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
        if hk != hv or hk == 0 or hq % hk:
            raise RuntimeError(f"Number of heads in key and value must divide the number of heads in query "
                               f"(query {list(q.shape)}, key {list(k.shape)}, value {list(v.shape)})")


def _broadcast(shapes, what):
    try:
        return tuple(tritorch.broadcast_shapes(*shapes))
    except RuntimeError:
        raise RuntimeError(f"scaled_dot_product_attention: the batch dimensions of {what} do not broadcast: "
                           + ", ".join(str(list(s)) for s in shapes)) from None


def _as_4d(x, batch, heads):
    """x (..., N, D) broadcast to batch + (heads, N, D) and viewed as (B, heads, N, D)."""
    full = batch + (heads,) + tuple(x.shape[-2:])
    if tuple(x.shape) != full:
        x = x.expand(full)
    return x if x.dim() == 4 else x.reshape((-1,) + full[-3:])


def _mask_4d(mask, lead, q_len, k_len):
    """attn_mask broadcast to lead + (L, S) and viewed as (B, H, L, S); no copy when lead has <= 2 dims."""
    full = lead + (q_len, k_len)
    shape = tuple(mask.shape)
    while len(shape) > len(full) and shape[0] == 1:
        shape = shape[1:]
    if len(shape) > len(full) or any(m not in (1, f) for m, f in zip(shape[::-1], full[::-1])):
        raise RuntimeError(f"attn_mask of shape {list(mask.shape)} does not broadcast to the attention scores' "
                           f"shape {list(full)}")
    if len(full) <= 4:
        return mask.reshape((1,) * (4 - len(shape)) + shape)
    return mask.expand(full).reshape((-1,) + full[-3:])


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, with dropout on the weights, in one fused primitive.

    Args:
        query (Tensor): (N, ..., Hq, L, E).
        key (Tensor): (N, ..., H, S, E); H == Hq unless enable_gqa (then Hq % H == 0).
        value (Tensor): (N, ..., H, S, Ev).
        attn_mask (Tensor, optional): broadcastable to (N, ..., Hq, L, S); bool (True = takes part in
            attention) or float (added to the scores; differentiable). Default: ``None``.
        dropout_p (float, optional): dropout probability on the attention weights, drawn from
            tritorch's default generator. Default: ``0.0``.
        is_causal (bool, optional): query i attends keys j <= i (top-left aligned); exclusive with
            attn_mask. Default: ``False``.
        scale (float, optional): Default: ``1 / sqrt(E)``.
        enable_gqa (bool, optional): grouped-query attention, key/value head h serves query heads
            h * Hq // H ... (h + 1) * Hq // H - 1. Default: ``False``.

    Returns (N, ..., Hq, L, Ev) of query's dtype. A query row that may attend no key gives 0 (as
    PyTorch's CPU math backend).
    """
    query, key, value = autocast_args("scaled_dot_product_attention", query, key, value)
    _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa)
    q_len, k_len, ev = query.shape[-2], key.shape[-2], value.shape[-1]
    if enable_gqa:
        batch = _broadcast((query.shape[:-3], key.shape[:-3], value.shape[:-3]), "query, key and value")
        hq, hk = query.shape[-3], key.shape[-3]
        out_shape = batch + (hq, q_len, ev)
    else:
        lead = _broadcast((query.shape[:-2], key.shape[:-2], value.shape[:-2]), "query, key and value")
        batch, hq = (lead[:-1], lead[-1]) if lead else ((), 1)
        hk = hq
        out_shape = lead + (q_len, ev)
    q, k, v = _as_4d(query, batch, hq), _as_4d(key, batch, hk), _as_4d(value, batch, hk)
    mask = None if attn_mask is None else _mask_4d(attn_mask, batch + (hq,), q_len, k_len)
    sc = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    if dropout_p == 1.0:  # every weight dropped: zeros, with zero gradients
        out = _attention_math(q, k, v, mask, is_causal, sc, 0.0, None) * 0.0
    elif mask is not None and mask.requires_grad and grad_mode.is_grad_enabled():
        seed = _draw_seed() if dropout_p else None
        out = _attention_math(q, k, v, mask, is_causal, sc, dropout_p, seed)
    else:
        seed = _draw_seed() if dropout_p else None
        out = Attention.apply(q, k, v, mask, bool(is_causal), sc, float(dropout_p), seed)
    return out.reshape(out_shape)


def _draw_seed():
    """A dropout seed from tritorch's default generator (tritorch.manual_seed makes it reproducible)."""
    return int(_random.default_generator._np.integers(0, 2 ** 31 - 1))


# -- multi-head attention ----------------------------------------------------------------------------
def _none_or_dtype(input):
    return None if input is None else input.dtype


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = masked out, nn.MultiheadAttention's convention) as an additive float mask
    of target_type (-inf where True); float masks pass through."""
    if mask is None:
        return None
    if mask.dtype is not tritorch.bool and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype is not other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.")
    if mask.dtype is tritorch.bool:
        mask = tritorch.zeros(mask.shape, dtype=target_type, device=mask.device).masked_fill(mask, -math.inf)
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """True for batched (3-D) input, False for unbatched (2-D); AssertionError otherwise."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query tensor")


def _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias, q_w, k_w, v_w):
    """q, k, v = the three input projections; one matmul for self-attention with a packed weight."""
    bq = bk = bv = None
    if in_proj_bias is not None:
        bq, bk, bv = in_proj_bias.chunk(3)
    if in_proj_weight is None:
        return linear(query, q_w, bq), linear(key, k_w, bk), linear(value, v_w, bv)
    if query is key and key is value:
        return linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
    wq, wk, wv = in_proj_weight.chunk(3)
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def _check_attn_mask(attn_mask, tgt_len, src_len, bsz, num_heads):
    """The 2-D (L, S) or 3-D (N * num_heads, L, S) attn_mask as 3-D; RuntimeError naming the shapes."""
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                               f"{(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{(bsz * num_heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """nn.MultiheadAttention's computation (PyTorch's signature; sequence-first layout).

    query: (L, N, E) or (L, E); key: (S, N, Ek); value: (S, N, Ev); key_padding_mask: (N, S) or (S,),
    True or -inf = ignore that key; attn_mask: (L, S) or (N * num_heads, L, S), True or -inf = may not
    attend. Returns (attn_output (L, N, E), attn_weights (N, L, S) averaged over heads, (N, num_heads,
    L, S) otherwise, or None without need_weights). With need_weights=False the attention runs in
    the fused primitive; with need_weights=True it is spelled out (matmul, softmax, dropout), as in
    PyTorch, because the weights are returned.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the fused primitive applies the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
        q, k, v = _in_projection(query, key, value, embed_dim, None, in_proj_bias, q_proj_weight, k_proj_weight,
                                 v_proj_weight)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        q, k, v = _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias, None, None, None)
    if attn_mask is not None:
        attn_mask = _check_attn_mask(attn_mask, tgt_len, src_len, bsz, num_heads)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key.")
        k = tritorch.cat([k, bias_k.repeat(1, bsz, 1)])
        v = tritorch.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be given or both be None")
    # (L, N, E) -> (N * num_heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _static(static_k, bsz * num_heads, head_dim, "k") if static_k is not None else \
        k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = _static(static_v, bsz * num_heads, head_dim, "v") if static_v is not None else \
        v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        zeros = tritorch.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k, v = tritorch.cat([k, zeros], dim=1), tritorch.cat([v, zeros], dim=1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{key_padding_mask.shape}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if is_batched else out.squeeze(1)), None


def _static(x, rows, head_dim, name):
    if x.shape[0] != rows:
        raise AssertionError(f"expecting static_{name}.size(0) of {rows}, but got {x.shape[0]}")
    if x.shape[2] != head_dim:
        raise AssertionError(f"expecting static_{name}.size(2) of {head_dim}, but got {x.shape[2]}")
    return x
