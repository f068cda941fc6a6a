"""MultiheadAttention (and NonDynamicallyQuantizableLinear, its out_proj's class name in PyTorch)."""
import tritorch
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import Linear
from .module import Module


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear; PyTorch's name for MultiheadAttention.out_proj (kept so that reprs match)."""


class MultiheadAttention(Module):
    r"""Multi-head attention from "Attention Is All You Need".

    .. math::
        \text{MultiHead}(Q, K, V) = \text{Concat}(head_1, \dots, head_h) W^O, \quad
        head_i = \text{softmax}\left(\frac{Q W_i^Q (K W_i^K)^T}{\sqrt{d_k}}\right) V W_i^V

    ``in_proj_weight`` (3 * embed_dim, embed_dim) packs W^Q, W^K, W^V when kdim == vdim == embed_dim;
    otherwise ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim) and ``v_proj_weight`` (E, vdim).
    Projection weights are xavier_uniform_, biases 0, bias_k/bias_v xavier_normal_ (PyTorch's init).

    Args:
        embed_dim (int): model dimension E.
        num_heads (int): parallel heads; E must be divisible by it.
        dropout (float, optional): dropout on the attention weights (training only). Default: ``0.0``.
        bias (bool, optional): biases in the input and output projections. Default: ``True``.
        add_bias_kv (bool, optional): learned bias_k, bias_v appended to the key/value sequences.
            Default: ``False``.
        add_zero_attn (bool, optional): append a zero key and value. Default: ``False``.
        kdim (int, optional): key features. Default: ``embed_dim``.
        vdim (int, optional): value features. Default: ``embed_dim``.
        batch_first (bool, optional): (N, L, E) inputs and outputs instead of (L, N, E). Default: ``False``.

    Shape: query (L, N, E), key (S, N, kdim), value (S, N, vdim) (or unbatched (L, E) ...) ->
    (attn_output (L, N, E), attn_weights (N, L, S), per head (N, num_heads, L, S), or None).

    Examples:
        >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = tritorch.randn(2, 5, 16)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (tritorch.Size([2, 5, 16]), tritorch.Size([2, 5, 5]))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(tritorch.empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(tritorch.empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(tritorch.empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(tritorch.empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(tritorch.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(tritorch.empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(tritorch.empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """key_padding_mask (N, S): True (or -inf) ignores that key; attn_mask (L, S) or
        (N * num_heads, L, S): True (or -inf) forbids that pair; is_causal: a hint that attn_mask is
        the causal mask (then, without key_padding_mask and need_weights, the fused op applies it)."""
        is_batched = query.dim() == 3
        key_padding_mask = F._canonical_mask(key_padding_mask, "key_padding_mask", F._none_or_dtype(attn_mask),
                                             "attn_mask", query.dtype)
        attn_mask = F._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if self.batch_first and is_batched:
            query, key, value = _seq_first(query, key, value)
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and is_batched:
            return out.transpose(1, 0), weights
        return out, weights


def _seq_first(query, key, value):
    """(N, L, E) -> (L, N, E), keeping `query is key is value` (self-attention packs one matmul)."""
    if key is value:
        if query is key:
            query = key = value = query.transpose(1, 0)
        else:
            query, key = query.transpose(1, 0), key.transpose(1, 0)
            value = key
        return query, key, value
    return query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)
