"""RNN, LSTM, GRU and their cells against numpy gate equations written here; gradcheck; PyTorch's
parameter names, init bounds, shapes and errors; PyTorch as an optional oracle."""
import math

import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
from tritorch.autograd import gradcheck
from tritorch.nn import functional as F
from tritorch.nn.modules.rnn import _step


def N(t):
    return t.detach().numpy()


def T(a, grad=False):
    return tritorch.tensor(np.asarray(a), dtype=tritorch.float64, requires_grad=grad)


def sig(x):
    return 1 / (1 + np.exp(-x))


def np_step(mode, x, h, c, p):
    """One step in numpy: p = (w_ih, w_hh, b_ih, b_hh, w_hr) as float64 arrays (biases may be 0)."""
    w_ih, w_hh, b_ih, b_hh, w_hr = p
    gx, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if mode == "RNN_TANH":
        return np.tanh(gx + gh), None
    if mode == "RNN_RELU":
        return np.maximum(gx + gh, 0), None
    if mode == "GRU":
        H = w_hh.shape[1]
        r = sig(gx[:, :H] + gh[:, :H])
        z = sig(gx[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1 - z) * n + z * h, None
    H = c.shape[1]
    g = gx + gh
    i, f, gg, o = sig(g[:, :H]), sig(g[:, H:2 * H]), np.tanh(g[:, 2 * H:3 * H]), sig(g[:, 3 * H:])
    c = f * c + i * gg
    h = o * np.tanh(c)
    return (h @ w_hr.T if w_hr is not None else h), c


def np_rnn(m, x, h0, c0):
    """numpy multi-layer, (bi)directional recurrence over x (L, N, H_in)."""
    P = {n: N(p) for n, p in m.named_parameters()}
    D = 2 if m.bidirectional else 1
    hn, cn = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            p = tuple(P.get(n + sfx, 0) if n.startswith("bias") else P.get(n + sfx)
                      for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))
            h, c = h0[layer * D + d], None if c0 is None else c0[layer * D + d]
            ys = [None] * len(x)
            for t in (range(len(x)) if d == 0 else reversed(range(len(x)))):
                h, c = np_step(m.mode, x[t], h, c, p)
                ys[t] = h
            outs.append(np.stack(ys))
            hn.append(h)
            cn.append(c)
        x = np.concatenate(outs, -1)
    return x, np.stack(hn), (np.stack(cn) if c0 is not None else None)


CONFIGS = [
    ("RNN", dict(nonlinearity="tanh")),
    ("RNN", dict(nonlinearity="relu", num_layers=2, bias=False)),
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", dict(proj_size=2)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=2, bidirectional=True)),
]


@pytest.mark.parametrize("kind,kw", CONFIGS, ids=[f"{k}-{'-'.join(map(str, v.values()))}" for k, v in CONFIGS])
def test_rnn_matches_numpy(rng, kind, kw):
    L, B, H_in, H = 5, 3, 4, 6
    m = getattr(nn, kind)(H_in, H, **kw).double()
    D, layers = (2 if m.bidirectional else 1), m.num_layers
    h_out = m.proj_size or H
    x = rng.standard_normal((L, B, H_in))
    h0 = rng.standard_normal((D * layers, B, h_out))
    c0 = rng.standard_normal((D * layers, B, H)) if kind == "LSTM" else None
    xin = T(x.transpose(1, 0, 2) if m.batch_first else x)
    hx = (T(h0), T(c0)) if kind == "LSTM" else T(h0)
    out, hn = m(xin, hx)
    want, want_h, want_c = np_rnn(m, x, h0, c0)
    if m.batch_first:
        want = want.transpose(1, 0, 2)
    if kind == "LSTM":
        hn, cn = hn
        np.testing.assert_allclose(N(cn), want_c, rtol=1e-10, atol=1e-12)
    assert tuple(out.shape) == want.shape == ((B, L, D * h_out) if m.batch_first else (L, B, D * h_out))
    np.testing.assert_allclose(N(out), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(N(hn), want_h, rtol=1e-10, atol=1e-12)


def test_default_zero_state_and_unbatched_input(rng):
    m = nn.GRU(3, 4, num_layers=2).double()
    x = rng.standard_normal((5, 3))
    out, hn = m(T(x))
    assert tuple(out.shape) == (5, 4) and tuple(hn.shape) == (2, 4)
    want, want_h, _ = np_rnn(m, x[:, None], np.zeros((2, 1, 4)), None)
    np.testing.assert_allclose(N(out), want[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(N(hn), want_h[:, 0], rtol=1e-10, atol=1e-12)
    lstm = nn.LSTM(3, 4).double()
    out, (h, c) = lstm(T(x), (T(np.zeros((1, 4))), T(np.zeros((1, 4)))))
    out0, (h0, c0) = lstm(T(x))
    np.testing.assert_array_equal(N(out), N(out0))
    assert tuple(h.shape) == tuple(c.shape) == (1, 4)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_numpy(rng, kind):
    m = getattr(nn, kind)(4, 5).double()
    x, h, c = rng.standard_normal((3, 4)), rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    p = (N(m.weight_ih), N(m.weight_hh), N(m.bias_ih), N(m.bias_hh), None)
    mode = {"RNNCell": "RNN_TANH", "LSTMCell": "LSTM", "GRUCell": "GRU"}[kind]
    if kind == "LSTMCell":
        h1, c1 = m(T(x), (T(h), T(c)))
        wh, wc = np_step(mode, x, h, c, p)
        np.testing.assert_allclose(N(c1), wc, rtol=1e-10, atol=1e-12)
        hu, cu = m(T(x[0]), (T(h[0]), T(c[0])))  # unbatched
        np.testing.assert_allclose(N(hu), wh[0], rtol=1e-10, atol=1e-12)
    else:
        h1 = m(T(x), T(h))
        wh, _ = np_step(mode, x, h, None, p)
        np.testing.assert_allclose(N(m(T(x[1]), T(h[1]))), wh[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(N(h1), wh, rtol=1e-10, atol=1e-12)
    assert [n for n, _ in m.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def test_lstm_cell_step_gradcheck(rng):
    m = nn.LSTMCell(3, 2).double()
    x, h, c = (T(rng.standard_normal(s), True) for s in ((2, 3), (2, 2), (2, 2)))
    assert gradcheck(lambda a, b, d: m(a, (b, d)), (x, h, c))

    def step(w_ih, w_hh, b_ih):  # one LSTM step as a function of its parameters
        return _step("LSTM", F.linear(x, w_ih, b_ih), h, c, w_hh, m.bias_hh)
    assert gradcheck(step, (m.weight_ih, m.weight_hh, m.bias_ih))


@pytest.mark.parametrize("kind", ["GRU", "RNN", "LSTM"])
def test_sequence_gradcheck(rng, kind):
    m = getattr(nn, kind)(2, 3, num_layers=2, bidirectional=kind == "GRU").double()
    x = T(rng.standard_normal((3, 2, 2)), True)

    def f(inp, w_hh):
        out, _ = m(inp)
        return out
    assert gradcheck(f, (x, m.weight_hh_l0))


def test_parameter_names_shapes_and_init():
    tritorch.manual_seed(0)
    m = nn.LSTM(10, 16, num_layers=2, bidirectional=True)
    names = [n for n, _ in m.named_parameters()]
    want = [f"{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse")
            for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert names == want == list(m.state_dict())
    assert tuple(m.weight_ih_l0.shape) == (64, 10) and tuple(m.weight_ih_l1.shape) == (64, 32)
    assert tuple(m.weight_hh_l1_reverse.shape) == (64, 16) and tuple(m.bias_ih_l0.shape) == (64,)
    allw = np.concatenate([N(p).ravel() for p in m.parameters()])
    bound = 1 / math.sqrt(16)
    assert np.abs(allw).max() <= bound and np.abs(allw).max() > 0.98 * bound
    assert abs(allw.std() - bound / math.sqrt(3)) < 0.01  # U(-b, b) has std b / sqrt(3)
    assert repr(m) == "LSTM(10, 16, num_layers=2, bidirectional=True)"
    assert repr(nn.GRU(3, 4, batch_first=True, dropout=0.5, num_layers=2)) == \
        "GRU(3, 4, num_layers=2, batch_first=True, dropout=0.5)"
    assert [n for n, _ in nn.LSTM(3, 4, proj_size=2).named_parameters()] == \
        ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 4


def test_dropout_between_layers_only_in_training(rng):
    tritorch.manual_seed(0)
    m = nn.GRU(3, 8, num_layers=2, dropout=0.5)
    x = tritorch.randn(4, 2, 3)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    np.testing.assert_array_equal(N(a), N(b))
    m.train()
    assert not np.allclose(N(m(x)[0]), N(a))


def test_errors():
    m = nn.LSTM(4, 3, num_layers=2)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 4, got 5"):
        m(tritorch.randn(2, 3, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 3, 3\), got \[1, 3, 3\]"):
        m(tritorch.randn(2, 3, 4), (tritorch.zeros(1, 3, 3), tritorch.zeros(2, 3, 3)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(2, 3, 3\), got \[2, 3, 4\]"):
        m(tritorch.randn(2, 3, 4), (tritorch.zeros(2, 3, 3), tritorch.zeros(2, 3, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 3, 3\), got \[1, 2, 3\]"):
        nn.GRU(4, 3)(tritorch.randn(2, 3, 4), tritorch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        m(tritorch.randn(1, 2, 3, 4))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        nn.RNN(4, 3)(tritorch.randn(2, 3, 4), tritorch.zeros(3, 3))
    with pytest.raises(ValueError, match="input must have the type tritorch.float32, got type tritorch.float64"):
        m(tritorch.randn(2, 3, 4, dtype=tritorch.float64))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(2, 3, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(2, 0)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(2, 3, proj_size=3)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(2, 3, dropout=0.2)
    cell = nn.GRUCell(4, 3)
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5, expected 4"):
        cell(tritorch.randn(2, 5))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        cell(tritorch.randn(2, 4), tritorch.zeros(3, 3))
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        nn.LSTMCell(4, 3)(tritorch.randn(1, 2, 4))


def adam_step(params, state, t, lr=0.05, betas=(0.9, 0.999), eps=1e-8):
    """Adam written out (tritorch.optim is tested on its own)."""
    with tritorch.no_grad():
        for p in params:
            m, v = state.setdefault(id(p), (tritorch.zeros_like(p), tritorch.zeros_like(p)))
            m.mul_(betas[0]).add_((1 - betas[0]) * p.grad)
            v.mul_(betas[1]).add_((1 - betas[1]) * p.grad * p.grad)
            p -= lr * (m / (1 - betas[0] ** t)) / ((v / (1 - betas[1] ** t)).sqrt() + eps)


def test_lstm_learns_to_count():
    """An LSTM classifier learns whether ones outnumber zeros in a binary sequence."""
    tritorch.manual_seed(0)
    x = np.random.default_rng(0).integers(0, 2, (64, 7))
    xs = tritorch.tensor(np.eye(2, dtype=np.float32)[x])
    y = tritorch.tensor((x.sum(1) > 3).astype(np.int64))
    lstm, head = nn.LSTM(2, 8, batch_first=True), nn.Linear(8, 2)
    params, state, losses = list(lstm.parameters()) + list(head.parameters()), {}, []
    for t in range(1, 31):
        _, (h, _) = lstm(xs)
        loss = nn.functional.cross_entropy(head(h[-1]), y)
        for p in params:
            p.grad = None
        loss.backward()
        adam_step(params, state, t)
        losses.append(loss.item())
    assert losses[-1] < 0.25 * losses[0], losses[::5]


def test_against_pytorch(rng):
    torch = pytest.importorskip("torch")
    for kind, kw in CONFIGS:
        theirs = getattr(torch.nn, kind)(4, 6, **kw).double()
        ours = getattr(nn, kind)(4, 6, **kw).double()
        ours.load_state_dict({k: T(v.detach().numpy()) for k, v in theirs.state_dict().items()})
        x = rng.standard_normal((5, 3, 4))
        a = ours(T(x))[0]
        b = theirs(torch.from_numpy(x))[0]
        np.testing.assert_allclose(N(a), b.detach().numpy(), rtol=1e-10, atol=1e-12)
