"""The LSTM recurrence of one layer and direction as one autograd node (`lstm_scan`), over the
backend's fused `lstm_scan` / `lstm_scan_backward` primitives. Not public API: nn.LSTM uses it.

gx (L, N, 4H) are the input projections of every step (x @ w_ih^T + b_ih, gates i, f, g, o);
h0, c0 (N, H); w_hh (4H, H); b_hh (4H,) or None. Returns (ys (L, N, H), c_n (N, H)); h_n is
ys[-1] (ys[0] when reverse).
"""
import tritorch
from ...autograd import grad_mode
from ...autograd.function import Function
from ..._ops._util import data_on, wrap

__all__ = []


def lstm_step(gates, c):
    """One step in Tensor ops from pre-activation gates (N, 4H) and c (N, H): (h', c')."""
    i, f, g, o = gates.chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _composed_scan(gx, h0, c0, w_hh, b_hh, reverse):
    h, c = h0, c0
    ys = [None] * gx.shape[0]
    for t in (reversed(range(gx.shape[0])) if reverse else range(gx.shape[0])):
        gates = gx[t] + h @ w_hh.mT
        h, c = lstm_step(gates if b_hh is None else gates + b_hh, c)
        ys[t] = h
    return tritorch.stack(ys), c


class LSTMScan(Function):
    @staticmethod
    def forward(ctx, gx, h0, c0, w_hh, b_hh, reverse):
        dev = gx.device
        ys, c_n, ctx.scan = gx._b.lstm_scan(gx._data, data_on(h0, dev), data_on(c0, dev), data_on(w_hh, dev),
                                            data_on(b_hh, dev), reverse)
        ctx.save_for_backward(gx, h0, c0, w_hh, b_hh)
        ctx.reverse = reverse
        return wrap(ys, dev), wrap(c_n, dev)

    @staticmethod
    def backward(ctx, gy, gc):
        gx, h0, c0, w_hh, b_hh = ctx.saved_tensors
        if grad_mode.is_grad_enabled():  # create_graph: differentiate the same recurrence in Tensor ops
            ins = [t for t in (gx, h0, c0, w_hh, b_hh) if t is not None and t.requires_grad]
            ys, c_n = _composed_scan(gx, h0, c0, w_hh, b_hh, ctx.reverse)
            outs = [(o, g) for o, g in ((ys, gy), (c_n, gc)) if g is not None]
            got = iter(tritorch.autograd.grad([o for o, _ in outs], ins, [g for _, g in outs], create_graph=True,
                                              allow_unused=True))
            return tuple(next(got) if t is not None and t.requires_grad else None
                         for t in (gx, h0, c0, w_hh, b_hh)) + (None,)
        dev = gx.device
        d = gx._b.lstm_scan_backward(data_on(gy, dev), data_on(gc, dev), ctx.scan, data_on(h0, dev),
                                     data_on(c0, dev), data_on(w_hh, dev), ctx.reverse,
                                     b_hh is not None and ctx.needs_input_grad[4])
        return tuple(wrap(v, dev) if v is not None and need else None
                     for v, need in zip(d, ctx.needs_input_grad[:5])) + (None,)


def lstm_scan(gx, h0, c0, w_hh, b_hh, reverse=False):
    """(ys, c_n) of one LSTM layer direction; see the module docstring. Falls back to Tensor ops
    on a backend without the fused primitive."""
    if not hasattr(gx._b, "lstm_scan"):
        return _composed_scan(gx, h0, c0, w_hh, b_hh, reverse)
    return LSTMScan.apply(gx, h0, c0, w_hh, b_hh, reverse)
