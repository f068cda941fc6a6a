"""Transformer encoder/decoder layers, stacks and nn.Transformer against a numpy Transformer
written here (post-norm and pre-norm), masks, PyTorch's state_dict keys, init and errors;
PyTorch as an optional oracle."""
import math

import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
from tritorch.autograd import gradcheck


def N(t):
    return t.detach().numpy()


def T(a, dtype=tritorch.float64, grad=False):
    return tritorch.tensor(np.asarray(a), dtype=dtype, requires_grad=grad)


# -- numpy Transformer (sequence-first (L, N, E)) ---------------------------------------------------------
def np_layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * w + b


def np_gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def np_mha(P, pre, q_in, kv_in, nhead, mask=None, kpm=None):
    """P: name -> array; pre: prefix such as 'self_attn.'; mask additive (L, S); kpm bool (N, S)."""
    E = q_in.shape[-1]
    wq, wk, wv = np.split(P[pre + "in_proj_weight"], 3)
    bq, bk, bv = np.split(P[pre + "in_proj_bias"], 3)
    q, k, v = q_in @ wq.T + bq, kv_in @ wk.T + bk, kv_in @ wv.T + bv
    L, B, S, hd = q.shape[0], q.shape[1], k.shape[0], E // nhead
    heads = lambda x, n: x.reshape(n, B, nhead, hd).transpose(1, 2, 0, 3)  # noqa: E731
    s = heads(q, L) @ heads(k, S).transpose(0, 1, 3, 2) / math.sqrt(hd)
    if mask is not None:
        s = s + mask
    if kpm is not None:
        s = np.where(kpm[:, None, None, :], -np.inf, s)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    o = (w @ heads(v, S)).transpose(2, 0, 1, 3).reshape(L, B, E)
    return o @ P[pre + "out_proj.weight"].T + P[pre + "out_proj.bias"]


def np_ff(P, x, act):
    h = x @ P["linear1.weight"].T + P["linear1.bias"]
    h = np.maximum(h, 0) if act == "relu" else np_gelu(h)
    return h @ P["linear2.weight"].T + P["linear2.bias"]


def np_encoder_layer(P, x, nhead, norm_first, act="relu", mask=None, kpm=None):
    ln = lambda i, y: np_layer_norm(y, P[f"norm{i}.weight"], P[f"norm{i}.bias"])  # noqa: E731
    if norm_first:
        x = x + np_mha(P, "self_attn.", ln(1, x), ln(1, x), nhead, mask, kpm)
        return x + np_ff(P, ln(2, x), act)
    x = ln(1, x + np_mha(P, "self_attn.", x, x, nhead, mask, kpm))
    return ln(2, x + np_ff(P, x, act))


def np_decoder_layer(P, x, mem, nhead, norm_first, act="relu", tgt_mask=None, mem_kpm=None):
    ln = lambda i, y: np_layer_norm(y, P[f"norm{i}.weight"], P[f"norm{i}.bias"])  # noqa: E731
    if norm_first:
        x = x + np_mha(P, "self_attn.", ln(1, x), ln(1, x), nhead, tgt_mask)
        x = x + np_mha(P, "multihead_attn.", ln(2, x), mem, nhead, None, mem_kpm)
        return x + np_ff(P, ln(3, x), act)
    x = ln(1, x + np_mha(P, "self_attn.", x, x, nhead, tgt_mask))
    x = ln(2, x + np_mha(P, "multihead_attn.", x, mem, nhead, None, mem_kpm))
    return ln(3, x + np_ff(P, x, act))


def params(m, prefix=""):
    return {n[len(prefix):]: N(p) for n, p in m.named_parameters() if n.startswith(prefix)}


def causal_np(n):
    return np.triu(np.full((n, n), -np.inf), 1)


# -- layers ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("act", ["relu", "gelu"])
@pytest.mark.parametrize("masks", ["none", "causal", "kpm"])
def test_encoder_layer_matches_numpy(rng, norm_first, act, masks):
    S, B, E, H = 6, 3, 8, 2
    layer = nn.TransformerEncoderLayer(E, H, dim_feedforward=16, activation=act, norm_first=norm_first).double().eval()
    with tritorch.no_grad():  # non-trivial LayerNorm affine parameters
        for n in ("norm1", "norm2"):
            getattr(layer, n).weight.uniform_(0.5, 1.5)
            getattr(layer, n).bias.uniform_(-0.5, 0.5)
    x = rng.standard_normal((S, B, E))
    kw, ref = {}, {}
    if masks == "causal":
        kw = dict(src_mask=nn.Transformer.generate_square_subsequent_mask(S, dtype=tritorch.float64), is_causal=True)
        ref = dict(mask=causal_np(S))
    if masks == "kpm":
        kpm = rng.random((B, S)) < 0.3
        kpm[:, 0] = False
        kw, ref = dict(src_key_padding_mask=T(kpm, tritorch.bool)), dict(kpm=kpm)
    out = layer(T(x), **kw)
    want = np_encoder_layer(params(layer), x, H, norm_first, act, **ref)
    np.testing.assert_allclose(N(out), want, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_numpy(rng, norm_first):
    T_, S, B, E, H = 5, 4, 2, 8, 4
    layer = nn.TransformerDecoderLayer(E, H, dim_feedforward=12, norm_first=norm_first, batch_first=True)
    layer = layer.double().eval()
    x, mem = rng.standard_normal((T_, B, E)), rng.standard_normal((S, B, E))
    mem_kpm = np.zeros((B, S), bool)
    mem_kpm[1, -1] = True
    out = layer(T(x.transpose(1, 0, 2)), T(mem.transpose(1, 0, 2)),
                tgt_mask=nn.Transformer.generate_square_subsequent_mask(T_, dtype=tritorch.float64),
                memory_key_padding_mask=T(mem_kpm, tritorch.bool))
    want = np_decoder_layer(params(layer), x, mem, H, norm_first, tgt_mask=causal_np(T_), mem_kpm=mem_kpm)
    np.testing.assert_allclose(N(out), want.transpose(1, 0, 2), rtol=1e-9, atol=1e-11)


def test_encoder_stack_deep_copies_detects_causal_mask_and_applies_norm(rng):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True).double()
    enc = nn.TransformerEncoder(layer, num_layers=3, norm=nn.LayerNorm(8).double())
    assert all(enc.layers[i] is not layer for i in range(3))
    np.testing.assert_array_equal(N(enc.layers[0].linear1.weight), N(enc.layers[2].linear1.weight))
    with tritorch.no_grad():
        enc.layers[0].linear1.weight.add_(1.0)
    assert not np.allclose(N(enc.layers[0].linear1.weight), N(enc.layers[1].linear1.weight))
    assert list(enc.state_dict())[:4] == ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias",
                                         "layers.0.self_attn.out_proj.weight", "layers.0.self_attn.out_proj.bias"]
    assert list(enc.state_dict())[-2:] == ["norm.weight", "norm.bias"]
    from tritorch.nn.modules.transformer import _detect_is_causal_mask
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=tritorch.float64)
    assert _detect_is_causal_mask(mask, None, 5) and not _detect_is_causal_mask(mask.transpose(0, 1), None, 5)
    assert not _detect_is_causal_mask(mask, False, 5) and _detect_is_causal_mask(None, True, 5)
    x = rng.standard_normal((2, 5, 8))
    out = enc(T(x), mask=mask)
    P = params(enc)
    want = x.transpose(1, 0, 2)
    for i in range(3):
        want = np_encoder_layer({k[len(f"layers.{i}."):]: v for k, v in P.items() if k.startswith(f"layers.{i}.")},
                                want, 2, False, mask=causal_np(5))
    want = np_layer_norm(want, P["norm.weight"], P["norm.bias"]).transpose(1, 0, 2)
    np.testing.assert_allclose(N(out), want, rtol=1e-9, atol=1e-11)
    bool_mask = T(np.triu(np.ones((5, 5), bool), 1), tritorch.bool)  # True = may not attend
    np.testing.assert_allclose(N(enc(T(x), mask=bool_mask)), want, rtol=1e-9, atol=1e-11)


def test_transformer_matches_numpy_and_pytorch_names(rng):
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16,
                           dropout=0.0).double()
    keys = list(model.state_dict())
    assert keys[0] == "encoder.layers.0.self_attn.in_proj_weight"
    assert "decoder.layers.0.multihead_attn.in_proj_weight" in keys and "decoder.layers.0.norm3.bias" in keys
    assert keys[-2:] == ["decoder.norm.weight", "decoder.norm.bias"] and "encoder.norm.weight" in keys
    assert len(keys) == 2 * 12 + 2 + (4 + 4 + 4 + 6) + 2
    src, tgt = rng.standard_normal((6, 2, 8)), rng.standard_normal((4, 2, 8))
    out = model(T(src), T(tgt), tgt_mask=model.generate_square_subsequent_mask(4, dtype=tritorch.float64))
    P = params(model)
    sub = lambda pre: {k[len(pre):]: v for k, v in P.items() if k.startswith(pre)}  # noqa: E731
    mem = src
    for i in range(2):
        mem = np_encoder_layer(sub(f"encoder.layers.{i}."), mem, 2, False)
    mem = np_layer_norm(mem, P["encoder.norm.weight"], P["encoder.norm.bias"])
    want = np_decoder_layer(sub("decoder.layers.0."), tgt, mem, 2, False, tgt_mask=causal_np(4))
    want = np_layer_norm(want, P["decoder.norm.weight"], P["decoder.norm.bias"])
    np.testing.assert_allclose(N(out), want, rtol=1e-9, atol=1e-11)


def test_transformer_init_mask_and_errors():
    tritorch.manual_seed(0)
    model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32)
    w = N(model.encoder.layers[0].linear1.weight)  # xavier_uniform_ (16 -> 32): bound sqrt(6 / 48)
    assert np.abs(w).max() <= math.sqrt(6 / 48) and np.abs(w).max() > 0.9 * math.sqrt(6 / 48)
    assert np.all(N(model.encoder.layers[0].self_attn.in_proj_bias) == 0)
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype is tritorch.float32 and tuple(m.shape) == (3, 3)
    np.testing.assert_array_equal(N(m), causal_np(3))
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=tritorch.float64).dtype is tritorch.float64
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(tritorch.randn(3, 2, 16), tritorch.randn(3, 1, 16))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(tritorch.randn(3, 2, 16), tritorch.randn(3, 2, 8))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=8)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*\[4, 4\].*should be \(3, 3\)"):
        layer(tritorch.randn(3, 2, 8), src_mask=tritorch.zeros(4, 4))


def test_callable_activation_and_bias_false(rng):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, activation=nn.GELU(), bias=False,
                                       dropout=0.0).double()
    assert isinstance(layer.activation, nn.GELU) and layer.linear1.bias is None and layer.norm1.bias is None
    assert layer.self_attn.in_proj_bias is None
    x = rng.standard_normal((4, 2, 8))
    P = params(layer)
    for k in ("linear1.bias", "linear2.bias", "norm1.bias", "norm2.bias"):
        P[k] = 0.0
    P["self_attn.in_proj_bias"], P["self_attn.out_proj.bias"] = np.zeros(24), 0.0
    np.testing.assert_allclose(N(layer(T(x))), np_encoder_layer(P, x, 2, False, "gelu"), rtol=1e-9, atol=1e-11)


def test_encoder_layer_gradcheck(rng):
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, norm_first=True).double()
    x = T(rng.standard_normal((3, 2, 4)), grad=True)
    assert gradcheck(lambda a: layer(a, is_causal=True, src_mask=nn.Transformer.generate_square_subsequent_mask(
        3, dtype=tritorch.float64)), (x,))
    assert gradcheck(lambda w: layer(x.detach()) * w.sum(), (layer.linear1.weight,))


def test_dropout_in_training_mode_only(rng):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5)
    x = tritorch.randn(5, 2, 8)
    layer.eval()
    np.testing.assert_array_equal(N(layer(x)), N(layer(x)))
    layer.train()
    assert not np.allclose(N(layer(x)), N(layer(x)))


def test_against_pytorch(rng):
    torch = pytest.importorskip("torch")
    for norm_first in (False, True):
        theirs = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, norm_first=norm_first).double().eval()
        ours = nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, norm_first=norm_first).double().eval()
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.load_state_dict({k: T(v.detach().numpy()) for k, v in theirs.state_dict().items()})
        src, tgt = rng.standard_normal((6, 2, 8)), rng.standard_normal((4, 2, 8))
        mask = theirs.generate_square_subsequent_mask(4, dtype=torch.float64)
        want = theirs(torch.from_numpy(src), torch.from_numpy(tgt), tgt_mask=mask).detach().numpy()
        got = ours(T(src), T(tgt), tgt_mask=T(mask.numpy()))
        np.testing.assert_allclose(N(got), want, rtol=1e-9, atol=1e-11)
