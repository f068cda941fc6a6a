"""The LSTM recurrence of one layer and direction as two primitives: the whole scan forward, and
its whole backward (backpropagation through time).

Per step the work is one (N, H) @ (H, 4H) matmul and in-place gate arithmetic; the input
projections of every step (gx = x @ w_ih^T + b_ih) come in precomputed, so the autograd graph
of a layer is one node however long the sequence. Gates are stacked i, f, g, o (PyTorch's order).
float16/bfloat16 compute in float32 and round back.
"""
import ml_dtypes
import numpy as np

__all__ = ["lstm_scan", "lstm_scan_backward"]

_LOW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))


def _up(a):
    return a.astype(np.float32) if a is not None and a.dtype in _LOW else a


def _sigmoid_(z):
    """1 / (1 + exp(-z)) in place (exp overflows to inf for z < -88: the result is then 0)."""
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1.0
    np.reciprocal(z, out=z)


def lstm_scan(gx, h0, c0, w_hh, b_hh, reverse):
    """gx: (L, N, 4H) input projections; h0, c0: (N, H); w_hh: (4H, H); b_hh: (4H,) or None;
    reverse: run t = L-1 .. 0. Returns (ys (L, N, H), c_n (N, H), saved) in gx's dtype;
    saved = (acts (L, N, 4H) activated gates, tanh_c (L, N, H), cs (L, N, H)) for the backward."""
    dtype = gx.dtype
    gx, h, c, w_hh, b_hh = _up(gx), _up(h0), _up(c0), _up(w_hh), _up(b_hh)
    length, n, four_h = gx.shape
    hs = four_h // 4
    acts = np.empty((length, n, four_h), gx.dtype)
    cs = np.empty((length, n, hs), gx.dtype)
    tanh_c = np.empty((length, n, hs), gx.dtype)
    ys = np.empty((length, n, hs), gx.dtype)
    w_t = np.ascontiguousarray(w_hh.T)
    for t in (range(length - 1, -1, -1) if reverse else range(length)):
        a = acts[t]
        np.matmul(h, w_t, out=a)
        a += gx[t]
        if b_hh is not None:
            a += b_hh
        _sigmoid_(a[:, :2 * hs])
        _sigmoid_(a[:, 3 * hs:])
        np.tanh(a[:, 2 * hs:3 * hs], out=a[:, 2 * hs:3 * hs])
        i, f, g, o = a[:, :hs], a[:, hs:2 * hs], a[:, 2 * hs:3 * hs], a[:, 3 * hs:]
        c_new = cs[t]
        np.multiply(f, c, out=c_new)
        c_new += i * g
        np.tanh(c_new, out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=ys[t])
        h, c = ys[t], c_new
    return ys.astype(dtype, copy=False), c.astype(dtype, copy=False), (acts, tanh_c, cs)


def lstm_scan_backward(gy, gc_n, saved, h0, c0, w_hh, reverse, need_b_hh):
    """Gradients of lstm_scan given gy (L, N, H) and gc_n (N, H) (either may be None):
    (d_gx (L, N, 4H), d_h0, d_c0, d_w_hh (4H, H), d_b_hh (4H,) or None), in gy's dtype."""
    acts, tanh_c, cs = saved
    length, n, four_h = acts.shape
    hs = four_h // 4
    dtype = h0.dtype
    h0, c0, w_hh = _up(h0), _up(c0), _up(w_hh)
    gy = None if gy is None else _up(gy)
    d_gates = np.empty_like(acts)
    dh = np.zeros((n, hs), acts.dtype)
    dc = np.zeros((n, hs), acts.dtype) if gc_n is None else _up(gc_n).astype(acts.dtype, copy=True)
    order = range(length) if reverse else range(length - 1, -1, -1)
    prev_step = (lambda t: t + 1) if reverse else (lambda t: t - 1)
    first = length - 1 if reverse else 0
    tmp = np.empty((n, hs), acts.dtype)
    for t in order:
        a = acts[t]
        i, f, g, o = a[:, :hs], a[:, hs:2 * hs], a[:, 2 * hs:3 * hs], a[:, 3 * hs:]
        c_prev = c0 if t == first else cs[prev_step(t)]
        if gy is not None:
            dh += gy[t]
        d = d_gates[t]
        di, df, dg, do = d[:, :hs], d[:, hs:2 * hs], d[:, 2 * hs:3 * hs], d[:, 3 * hs:]
        tc = tanh_c[t]
        # dc += dh * o * (1 - tanh(c)^2)
        np.multiply(tc, tc, out=tmp)
        np.subtract(1.0, tmp, out=tmp)
        tmp *= o
        tmp *= dh
        dc += tmp
        # pre-activation gradients: sigmoid' = s (1 - s), tanh' = 1 - t^2
        np.multiply(dh, tc, out=do)
        do *= o
        np.subtract(1.0, o, out=tmp)
        do *= tmp
        np.multiply(dc, g, out=di)
        di *= i
        np.subtract(1.0, i, out=tmp)
        di *= tmp
        np.multiply(dc, c_prev, out=df)
        df *= f
        np.subtract(1.0, f, out=tmp)
        df *= tmp
        np.multiply(g, g, out=tmp)
        np.subtract(1.0, tmp, out=tmp)
        np.multiply(dc, i, out=dg)
        dg *= tmp
        dc *= f
        np.matmul(d, w_hh, out=dh)
    # h_{t-1} of every step in time order, for the weight gradient in one matmul
    ys = acts[:, :, 3 * hs:] * tanh_c
    h_prev = np.empty_like(ys)
    if reverse:
        h_prev[:-1], h_prev[-1] = ys[1:], h0
    else:
        h_prev[1:], h_prev[0] = ys[:-1], h0
    d_w = d_gates.reshape(-1, four_h).T @ h_prev.reshape(-1, hs)
    d_b = d_gates.sum((0, 1)) if need_b_hh else None
    cast = lambda v: None if v is None else v.astype(dtype, copy=False)  # noqa: E731
    return cast(d_gates), cast(dh), cast(dc), cast(d_w), cast(d_b)
