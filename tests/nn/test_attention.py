"""scaled_dot_product_attention (the fused attention primitive) and nn.MultiheadAttention against
numpy written here, gradients by gradcheck, PyTorch's mask and error semantics; PyTorch as an
optional oracle."""
import math

import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F
from tritorch.autograd import gradcheck, gradgradcheck


def ref_sdpa(q, k, v, mask=None, is_causal=False, scale=None, keep=None, p=0.0):
    """float64 numpy: softmax(q k^T * scale + mask) v over the last two dims, GQA by repeating kv
    heads (dim -3); rows with no allowed key give 0 (PyTorch's CPU math backend)."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    if k.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    allowed = np.ones(s.shape, bool)
    if is_causal:
        allowed &= np.tril(np.ones(s.shape[-2:], bool))
    if mask is not None:
        if mask.dtype == np.bool_:
            allowed &= mask
        else:
            s = s + mask
    s = np.where(allowed, s, -np.inf)
    m = s.max(-1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0))
    tot = e.sum(-1, keepdims=True)
    w = np.where(tot > 0, e / np.where(tot > 0, tot, 1), 0)
    if keep is not None:
        w = w * keep / (1 - p)
    return w @ v


def T(a, dtype=tritorch.float64, grad=False):
    return tritorch.tensor(np.asarray(a), dtype=dtype, requires_grad=grad)


def N(t):
    return t.detach().numpy()


def qkv(rng, qshape, kshape, vshape, grad=False):
    return [T(rng.standard_normal(s), grad=grad) for s in (qshape, kshape, vshape)]


# -- forward vs numpy ---------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["plain", "causal", "causal_rect", "bool", "float", "scale", "gqa", "3d", "2d",
                                  "broadcast_kv", "ev"])
def test_sdpa_matches_numpy(rng, case):
    B, H, L, S, E = 2, 3, 5, 7, 4
    qs, ks, vs = (B, H, L, E), (B, H, S, E), (B, H, S, E)
    kw, ref_kw = {}, {}
    if case == "causal":
        ks = vs = (B, H, L, E)
        kw["is_causal"] = ref_kw["is_causal"] = True
    if case == "causal_rect":  # L != S: top-left aligned, as torch.ones(L, S).tril()
        kw["is_causal"] = ref_kw["is_causal"] = True
    if case == "bool":
        m = rng.random((L, S)) > 0.4
        m[:, 0] = True
        kw["attn_mask"], ref_kw["mask"] = T(m, tritorch.bool), m
    if case == "float":
        m = rng.standard_normal((B, 1, L, S))
        kw["attn_mask"], ref_kw["mask"] = T(m), m
    if case == "scale":
        kw["scale"] = ref_kw["scale"] = 0.3
    if case == "gqa":
        qs, ks, vs = (B, 6, L, E), (B, 2, S, E), (B, 2, S, E)
        kw["enable_gqa"] = True
    if case == "3d":
        qs, ks, vs = (B, L, E), (B, S, E), (B, S, E)
    if case == "2d":
        qs, ks, vs = (L, E), (S, E), (S, E)
    if case == "broadcast_kv":
        ks, vs = (1, H, S, E), (1, H, S, E)
    if case == "ev":
        vs = (B, H, S, 6)
    q, k, v = qkv(rng, qs, ks, vs)
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    want = ref_sdpa(q.numpy(), k.numpy(), v.numpy(), **ref_kw)
    assert tuple(out.shape) == want.shape
    np.testing.assert_allclose(N(out), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype,tol", [(tritorch.float32, 1e-5), (tritorch.float16, 3e-3), (tritorch.bfloat16, 2e-2)])
def test_sdpa_low_precision_against_float64(rng, dtype, tol):
    q, k, v = (rng.standard_normal((2, 2, 9, 8)) for _ in range(3))
    out = F.scaled_dot_product_attention(T(q, dtype), T(k, dtype), T(v, dtype), is_causal=True)
    assert out.dtype is dtype
    # the reference sees the same rounded inputs
    rq, rk, rv = (T(a, dtype).double().numpy() for a in (q, k, v))
    np.testing.assert_allclose(out.double().numpy(), ref_sdpa(rq, rk, rv, is_causal=True), atol=tol, rtol=tol)


def test_fully_masked_row_is_zero_with_zero_grads(rng):
    q, k, v = qkv(rng, (1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), grad=True)
    m = np.ones((3, 5), bool)
    m[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=T(m, tritorch.bool))
    assert np.all(N(out)[:, :, 1] == 0) and np.all(np.isfinite(N(out)))
    out.sum().backward()
    assert np.all(N(q.grad)[:, :, 1] == 0)
    assert all(np.all(np.isfinite(N(t.grad))) for t in (q, k, v))


def test_bool_and_additive_masks_agree(rng):
    q, k, v = qkv(rng, (2, 2, 4, 3), (2, 2, 6, 3), (2, 2, 6, 3))
    m = rng.random((2, 1, 4, 6)) > 0.3
    m[..., 0] = True
    additive = T(np.where(m, 0.0, -np.inf))
    a = F.scaled_dot_product_attention(q, k, v, attn_mask=T(m, tritorch.bool))
    b = F.scaled_dot_product_attention(q, k, v, attn_mask=additive)
    np.testing.assert_allclose(N(a), N(b), rtol=1e-12, atol=1e-14)


# -- gradients ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["plain", "causal", "bool", "gqa", "3d"])
def test_sdpa_gradcheck(rng, case):
    shapes, kw = ((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 3)), {}
    if case == "causal":
        kw["is_causal"] = True
    if case == "bool":
        m = rng.random((3, 5)) > 0.3
        m[:, 1] = True
        kw["attn_mask"] = T(m, tritorch.bool)
    if case == "gqa":
        shapes, kw["enable_gqa"] = ((1, 4, 3, 4), (1, 2, 5, 4), (1, 2, 5, 3)), True
    if case == "3d":
        shapes = ((2, 3, 4), (2, 5, 4), (2, 5, 3))
    q, k, v = qkv(rng, *shapes, grad=True)
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kw), (q, k, v))


def test_sdpa_float_mask_gets_a_gradient(rng):
    q, k, v = qkv(rng, (1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 3), grad=True)
    m = T(rng.standard_normal((1, 1, 3, 5)), grad=True)
    assert gradcheck(lambda a, b, c, d: F.scaled_dot_product_attention(a, b, c, attn_mask=d), (q, k, v, m))


def test_sdpa_second_derivatives(rng):
    q, k, v = qkv(rng, (1, 2, 3, 4), (1, 1, 4, 4), (1, 1, 4, 2), grad=True)
    assert gradgradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=False, enable_gqa=True),
                         (q, k, v))


def test_sdpa_dropout_is_seeded_and_differentiable(rng):
    q, k, v = qkv(rng, (2, 2, 6, 4), (2, 2, 7, 4), (2, 2, 7, 5), grad=True)

    def f(a, b, c):
        tritorch.manual_seed(7)
        return F.scaled_dot_product_attention(a, b, c, dropout_p=0.4)
    out1, out2 = f(q, k, v), f(q, k, v)
    np.testing.assert_array_equal(N(out1), N(out2))
    assert not np.allclose(N(out1), N(F.scaled_dot_product_attention(q, k, v)))
    assert gradcheck(f, (q, k, v))
    # the mask the primitive applied: recover it from its documented rule and compare with numpy
    tritorch.manual_seed(7)
    seed = int(tritorch.default_generator._np.integers(0, 2 ** 31 - 1))
    keep = np.random.default_rng(seed).random((2, 2, 6, 7)) >= 0.4
    assert 0.45 < keep.mean() < 0.75
    want = ref_sdpa(N(q), N(k), N(v), keep=keep, p=0.4)
    np.testing.assert_allclose(N(out1), want, rtol=1e-10, atol=1e-12)


def test_backend_backward_matches_numeric_in_float32(rng):
    """The numpy attention_backward on float32 (the dtype training uses) against float64 gradcheck's
    analytic result (computed by the same primitive in float64)."""
    q, k, v = qkv(rng, (2, 4, 5, 8), (2, 2, 6, 8), (2, 2, 6, 8), grad=True)
    F.scaled_dot_product_attention(q, k, v, enable_gqa=True, is_causal=True).square().sum().backward()
    q32, k32, v32 = (tritorch.tensor(N(t), dtype=tritorch.float32, requires_grad=True) for t in (q, k, v))
    F.scaled_dot_product_attention(q32, k32, v32, enable_gqa=True, is_causal=True).square().sum().backward()
    for a, b in ((q, q32), (k, k32), (v, v32)):
        np.testing.assert_allclose(N(b.grad), N(a.grad), rtol=1e-4, atol=1e-5)


# -- errors ---------------------------------------------------------------------------------------------
def test_sdpa_errors(rng):
    q, k, v = qkv(rng, (1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4))
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \[3, 4\].*\[1, 2, 3, 5\]"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tritorch.ones(3, 4, dtype=tritorch.bool))
    with pytest.raises(RuntimeError, match="same dtype.*query.dtype: double key.dtype: float"):
        F.scaled_dot_product_attention(q, k.float(), v)
    with pytest.raises(RuntimeError, match="attn_mask dtype to be bool or float.*long int"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tritorch.ones(3, 5, dtype=tritorch.int64))
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tritorch.ones(3, 5, dtype=tritorch.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide"):
        F.scaled_dot_product_attention(T(np.zeros((1, 3, 3, 4))), k, v, enable_gqa=True)
    with pytest.raises(RuntimeError, match=r"\[1, 2, 3, 4\].*\[1, 2, 5, 6\]"):
        F.scaled_dot_product_attention(q, T(np.zeros((1, 2, 5, 6))), v)


# -- MultiheadAttention --------------------------------------------------------------------------------
def ref_mha(m, query, key, value, kpm=None, attn_mask=None, average=True):
    """numpy MHA, sequence-first (L, N, E); masks bool True = blocked or additive float."""
    P = {n: N(p).astype(np.float64) for n, p in m.named_parameters()}
    E, H = m.embed_dim, m.num_heads
    if "in_proj_weight" in P:
        wq, wk, wv = np.split(P["in_proj_weight"], 3)
    else:
        wq, wk, wv = P["q_proj_weight"], P["k_proj_weight"], P["v_proj_weight"]
    bq, bk, bv = np.split(P["in_proj_bias"], 3) if "in_proj_bias" in P else (0, 0, 0)
    q, k, v = query @ wq.T + bq, key @ wk.T + bk, value @ wv.T + bv
    L, nb, _ = q.shape
    S = k.shape[0]
    heads = lambda x, n: x.reshape(n, nb, H, E // H).transpose(1, 2, 0, 3)  # (N, H, n, hd)
    s = heads(q, L) @ heads(k, S).transpose(0, 1, 3, 2) / math.sqrt(E // H)
    if attn_mask is not None:
        am = attn_mask.reshape(-1, H, L, S) if attn_mask.ndim == 3 else attn_mask
        s = np.where(am, -np.inf, s) if am.dtype == np.bool_ else s + am
    if kpm is not None:
        s = np.where(kpm[:, None, None, :], -np.inf, s)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    o = (w @ heads(v, S)).transpose(2, 0, 1, 3).reshape(L, nb, E)
    o = o @ P["out_proj.weight"].T + P.get("out_proj.bias", 0)
    return o, (w.mean(1) if average else w)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("case", ["plain", "kpm", "bool_mask", "float_mask3d", "kdim", "nobias", "batch_first"])
def test_mha_matches_numpy(rng, case, need_weights):
    E, H, L, S, NB = 8, 2, 4, 5, 3
    kw = dict(kdim=5, vdim=3) if case == "kdim" else {}
    m = nn.MultiheadAttention(E, H, bias=case != "nobias", batch_first=case == "batch_first", **kw).double()
    x = rng.standard_normal((L, NB, E))
    key = rng.standard_normal((S, NB, kw.get("kdim", E)))
    val = rng.standard_normal((S, NB, kw.get("vdim", E)))
    fwd, ref = {}, {}
    if case == "kpm":
        kpm = rng.random((NB, S)) < 0.3
        kpm[:, 0] = False
        fwd["key_padding_mask"], ref["kpm"] = T(kpm, tritorch.bool), kpm
    if case == "bool_mask":
        am = rng.random((L, S)) < 0.3
        am[:, 1] = False
        fwd["attn_mask"], ref["attn_mask"] = T(am, tritorch.bool), am
    if case == "float_mask3d":
        am = rng.standard_normal((NB * H, L, S))
        fwd["attn_mask"], ref["attn_mask"] = T(am), am
    args = [x, key, val]
    if case == "batch_first":
        args = [a.transpose(1, 0, 2) for a in args]
    out, w = m(*(T(a) for a in args), need_weights=need_weights, **fwd)
    want, want_w = ref_mha(m, x, key, val, **ref)
    if case == "batch_first":
        want = want.transpose(1, 0, 2)
    np.testing.assert_allclose(N(out), want, rtol=1e-10, atol=1e-12)
    if need_weights:
        np.testing.assert_allclose(N(w), want_w, rtol=1e-10, atol=1e-12)
    else:
        assert w is None


def test_mha_self_attention_causal_hint_unbatched_and_per_head_weights(rng):
    m = nn.MultiheadAttention(6, 3).double()
    x = T(rng.standard_normal((5, 6)))
    causal = T(np.triu(np.full((5, 5), -np.inf), 1))
    fused, none = m(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)
    spelled, w = m(x, x, x, attn_mask=causal, average_attn_weights=False)
    assert none is None and tuple(fused.shape) == (5, 6) and tuple(w.shape) == (3, 5, 5)
    np.testing.assert_allclose(N(fused), N(spelled), rtol=1e-10, atol=1e-12)
    assert np.all(np.triu(N(w), 1) == 0)
    want, want_w = ref_mha(m, x.numpy()[:, None], x.numpy()[:, None], x.numpy()[:, None],
                           attn_mask=np.triu(np.ones((5, 5), bool), 1), average=False)
    np.testing.assert_allclose(N(fused), want[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(N(w), want_w[0], rtol=1e-10, atol=1e-12)


def test_mha_bias_kv_and_zero_attn(rng):
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True).double()
    assert [n for n, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias", "bias_k", "bias_v",
                                                   "out_proj.weight", "out_proj.bias"]
    x = rng.standard_normal((3, 2, 4))
    out, w = m(T(x), T(x), T(x))
    assert tuple(w.shape) == (2, 3, 5)  # 3 keys + bias_k + the zero key
    # numpy: project, then append bias_k/bias_v and a zero key/value per head
    P = {n: N(p) for n, p in m.named_parameters()}
    qp, kp, vp = np.split(x @ P["in_proj_weight"].T + P["in_proj_bias"], 3, axis=-1)
    kp = np.concatenate([kp, np.broadcast_to(P["bias_k"], (1, 2, 4)), np.zeros((1, 2, 4))])
    vp = np.concatenate([vp, np.broadcast_to(P["bias_v"], (1, 2, 4)), np.zeros((1, 2, 4))])
    heads = lambda a: a.reshape(a.shape[0], 2, 2, 2).transpose(1, 2, 0, 3)
    o = ref_sdpa(heads(qp), heads(kp), heads(vp)).transpose(2, 0, 1, 3).reshape(3, 2, 4)
    np.testing.assert_allclose(N(out), o @ P["out_proj.weight"].T + P["out_proj.bias"], rtol=1e-10)


def test_mha_parameters_init_and_state_dict_names():
    tritorch.manual_seed(0)
    m = nn.MultiheadAttention(64, 4)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    w = N(m.in_proj_weight)
    bound = math.sqrt(6 / (64 + 192))  # xavier_uniform_ over the packed (3E, E) weight
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.all(N(m.in_proj_bias) == 0) and np.all(N(m.out_proj.bias) == 0)
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert list(sep.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]
    assert tuple(sep.k_proj_weight.shape) == (8, 3) and tuple(sep.v_proj_weight.shape) == (8, 5)
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=64, "
                       "out_features=64, bias=True)\n)")


def test_mha_gradcheck(rng):
    m = nn.MultiheadAttention(4, 2).double()
    kpm = T(np.array([[False, False, True], [False, False, False]]), tritorch.bool)
    x = T(rng.standard_normal((3, 2, 4)), grad=True)
    assert gradcheck(lambda a: m(a, a, a, key_padding_mask=kpm, need_weights=False)[0], (x,))
    assert gradcheck(lambda w: nn.functional.multi_head_attention_forward(
        x, x, x, 4, 2, w, m.in_proj_bias, None, None, False, 0.0, m.out_proj.weight, m.out_proj.bias,
        need_weights=False)[0], (m.in_proj_weight,))


def test_mha_errors(rng):
    m = nn.MultiheadAttention(4, 2)
    x = tritorch.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is .*\[3, 4\].*should be \(3, 3\)"):
        m(x, x, x, attn_mask=tritorch.zeros(3, 4))
    with pytest.raises(RuntimeError, match=r"3D attn_mask is .*\[2, 3, 3\].*should be \(4, 3, 3\)"):
        m(x, x, x, attn_mask=tritorch.zeros(2, 3, 3))
    with pytest.raises(AssertionError, match=r"expecting key_padding_mask shape of \(2, 3\)"):
        m(x, x, x, key_padding_mask=tritorch.zeros(2, 5, dtype=tritorch.bool))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
        m(x, x, x, attn_mask=tritorch.zeros(3, 3, dtype=tritorch.int64))
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 4, but got 5"):
        m(tritorch.randn(3, 2, 5), tritorch.randn(3, 2, 5), tritorch.randn(3, 2, 5))


def test_mha_dropout_only_in_training(rng):
    m = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = tritorch.randn(6, 2, 4)
    m.eval()
    a, b = m(x, x, x, need_weights=False)[0], m(x, x, x, need_weights=False)[0]
    np.testing.assert_array_equal(N(a), N(b))
    m.train()
    c = m(x, x, x, need_weights=False)[0]
    assert not np.allclose(N(a), N(c))


# -- PyTorch oracle (optional) ----------------------------------------------------------------------------
def test_against_pytorch(rng):
    torch = pytest.importorskip("torch")
    q, k, v = (rng.standard_normal((2, 4, 5, 8)) for _ in range(3))
    m = rng.random((5, 5)) > 0.3
    m[:, 0] = True
    for kw, tkw in (({"is_causal": True}, {"is_causal": True}),
                    ({"attn_mask": T(m, tritorch.bool)}, {"attn_mask": torch.from_numpy(m)})):
        ours = F.scaled_dot_product_attention(T(q), T(k), T(v), **kw).numpy()
        theirs = torch.nn.functional.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (q, k, v)), **tkw)
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)
    tm = torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, batch_first=True).double()
    mm = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, batch_first=True).double()
    mm.load_state_dict({n: T(N(p)) for n, p in tm.state_dict().items()})
    x, key, val = rng.standard_normal((2, 4, 8)), rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 5))
    o, w = mm(T(x), T(key), T(val))
    to, tw = tm(*(torch.from_numpy(a) for a in (x, key, val)))
    np.testing.assert_allclose(N(o), N(to), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(N(w), N(tw), rtol=1e-10, atol=1e-12)


def test_cpu_primitive_agrees_with_the_flash_kernels_numpy_twin(rng):
    """The CPU `attention` primitive and the cuda kernels' float64 twin share one contract (LSE,
    GQA, top-left causal, bool/float masks, fully masked rows -> 0 and LSE +inf, dropout mask
    applied as keep / (1 - p)), so that the cuda backend can map the primitive to the kernel."""
    twin = pytest.importorskip("tritorch.kernels.attention")
    from tritorch._dispatch import cpu
    q, k, v, g = (rng.standard_normal(s) for s in ((2, 4, 5, 8), (2, 2, 6, 8), (2, 2, 6, 8), (2, 4, 5, 8)))
    bool_mask = rng.random((2, 1, 5, 6)) > 0.3
    bool_mask[0, 0, 2] = False  # one fully masked row
    for mask, causal in ((None, True), (bool_mask, False), (rng.standard_normal((5, 6)), False)):
        out, lse = cpu.attention(q, k, v, mask, causal, 0.5, 0.0, None)
        want, want_lse = twin.attention_reference(q, k, v, causal, 0.5, mask)
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lse, want_lse, rtol=1e-12)
        grads = cpu.attention_backward(g, q, k, v, out, lse, mask, causal, 0.5, 0.0, None)
        for a, b in zip(grads, twin.attention_backward_reference(g, q, k, v, causal, 0.5, mask)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    keep = cpu.attention_dropout_mask((2, 4, 5, 6), 0.3, 11)
    out, lse = cpu.attention(q, k, v, None, False, None, 0.3, 11)
    np.testing.assert_allclose(out, twin.attention_reference(q, k, v, dropout_p=0.3, dropout_mask=keep)[0], rtol=1e-12)
    grads = cpu.attention_backward(g, q, k, v, out, lse, None, False, None, 0.3, 11)
    for a, b in zip(grads, twin.attention_backward_reference(g, q, k, v, dropout_p=0.3, dropout_mask=keep)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
