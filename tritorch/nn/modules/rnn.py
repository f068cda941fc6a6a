r"""Recurrent layers: RNN (tanh/relu), LSTM, GRU and their single-step cells, with PyTorch's
parameter names, gate order and initialisation.

Gate equations (input projections of every time step are one matmul up front; each step adds the
hidden projection, through the fused linear primitive):

* RNN:  :math:`h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})` (or relu)
* LSTM: gates i, f, g, o stacked in that order; :math:`c' = f c + i g`, :math:`h' = o \tanh(c')`
  (then :math:`h' = W_{hr} h'` with proj_size)
* GRU:  gates r, z, n; :math:`n = \tanh(W_{in} x + b_{in} + r (W_{hn} h + b_{hn}))`,
  :math:`h' = (1 - z) n + z h`

Every weight and bias starts as :math:`U(-1/\sqrt{hidden\_size}, 1/\sqrt{hidden\_size})`.
A PackedSequence input (nn.utils.rnn) runs each step on the sequences still running at that step,
so h_n holds every sequence's state at its own last step, and the output is a PackedSequence.
"""
import math
import numbers
import warnings

import tritorch
from .. import functional as F
from ..functional.recurrent import lstm_scan
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .rnn_packed import forward_packed
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _step(mode, gx, h, c, w_hh, b_hh, w_hr=None):
    """One time step from the input projection gx = x @ w_ih^T + b_ih: (h', c') (c' None unless LSTM)."""
    gh = F.linear(h, w_hh, b_hh)
    if mode == "RNN_TANH":
        return (gx + gh).tanh(), None
    if mode == "RNN_RELU":
        return (gx + gh).relu(), None
    if mode == "GRU":
        xr, xz, xn = gx.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return (1 - z) * n + z * h, None
    i, f, g, o = (gx + gh).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``,
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``weight_hr_l{k}`` with proj_size), ``_reverse`` for the
    backward direction, registered in PyTorch's order."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        kw = dict(device=device, dtype=dtype)
        self._flat_weights_names = []
        for layer in range(num_layers):
            for direction in range(self._directions):
                layer_input = input_size if layer == 0 else real_hidden * self._directions
                sfx = f"_l{layer}{'_reverse' if direction == 1 else ''}"
                params = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    params += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    params.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in params:
                    setattr(self, name + sfx, Parameter(tritorch.empty(shape, **kw)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """Per layer and direction, the list of its parameters (PyTorch's order)."""
        per = len(self._flat_weights_names) // (self.num_layers * self._directions)
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """cuDNN packs the weights into one buffer here; tritorch keeps them separate, so there is
        nothing to do (kept so that PyTorch code calling it runs)."""

    def _layer_params(self, layer, direction):
        sfx = f"_l{layer}{'_reverse' if direction == 1 else ''}"
        get = lambda name: getattr(self, name + sfx, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def _check(self, input, batch, hx, cx):
        if input.dtype is not self.weight_ih_l0.dtype:
            raise ValueError(f"input must have the type {self.weight_ih_l0.dtype}, got type {input.dtype}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")
        out = self.proj_size if self.proj_size > 0 else self.hidden_size
        expected = (self.num_layers * self._directions, batch, out)
        lstm = self.mode == "LSTM"
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected hidden{'[0]' if lstm else ''} size {expected}, got {list(hx.shape)}")
        if lstm and tuple(cx.shape) != expected[:2] + (self.hidden_size,):
            raise RuntimeError(f"Expected hidden[1] size {expected[:2] + (self.hidden_size,)}, got {list(cx.shape)}")

    def forward(self, input, hx=None):
        """input: (L, N, H_in) ((N, L, H_in) with batch_first) or unbatched (L, H_in); hx: h_0
        (D * num_layers, N, H_out) (LSTM: the tuple (h_0, c_0)), zeros when None.

        Returns (output (L, N, D * H_out), h_n) (LSTM: (output, (h_n, c_n)))."""
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)
        lstm = self.mode == "LSTM"
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        h0, c0 = (hx if hx is not None else (None, None)) if lstm else (hx, None)
        for h in (h0, c0):
            if h is not None and h.dim() != input.dim():
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx should also be {input.dim()}-D but got {h.dim()}-D tensor")
        if not batched:
            input = input.unsqueeze(1)
            h0, c0 = (None if h is None else h.unsqueeze(1) for h in (h0, c0))
        if self.batch_first and batched:
            input = input.transpose(0, 1)
        n = input.shape[1]
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        rows = self.num_layers * self._directions
        if h0 is None:
            h0 = tritorch.zeros((rows, n, out_size), dtype=input.dtype, device=input.device)
        if lstm and c0 is None:
            c0 = tritorch.zeros((rows, n, self.hidden_size), dtype=input.dtype, device=input.device)
        self._check(input, n, h0, c0)
        output, h_n, c_n = self._run(input, h0, c0)
        if self.batch_first and batched:
            output = output.transpose(0, 1)
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _forward_packed(self, input, hx):
        return forward_packed(self, input, hx)

    def _run(self, x, h0, c0, batch_sizes=None):
        """x: (L, N, H_in) -> (output (L, N, D * H_out), h_n, c_n). With batch_sizes (packed input,
        longest first), step t updates only the first batch_sizes[t] rows; the others keep their
        state, so h_n is each sequence's state at its own last step."""
        length = x.shape[0]
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(self._directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_params(layer, d)
                gx = F.linear(x, w_ih, b_ih)  # every time step's input projection at once
                row = layer * self._directions + d
                h, c = h0[row], None if c0 is None else c0[row]
                if self.mode == "LSTM" and w_hr is None and batch_sizes is None and length:
                    ys, c = lstm_scan(gx, h, c, w_hh, b_hh, d == 1)  # the whole recurrence: one fused node
                    outs.append(ys)
                    h_n.append(ys[0] if d == 1 else ys[-1])
                    c_n.append(c)
                    continue
                ys = [None] * length
                for t in (range(length) if d == 0 else reversed(range(length))):
                    b = x.shape[1] if batch_sizes is None else batch_sizes[t]
                    if b == x.shape[1]:
                        h, c = _step(self.mode, gx[t], h, c, w_hh, b_hh, w_hr)
                    else:
                        hb, cb = _step(self.mode, gx[t][:b], h[:b], None if c is None else c[:b], w_hh, b_hh, w_hr)
                        h = tritorch.cat([hb, h[b:]])
                        c = None if c is None else tritorch.cat([cb, c[b:]])
                    ys[t] = h
                outs.append(tritorch.stack(ys) if length else x.new_zeros((0, x.shape[1], h.shape[-1])))
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if len(outs) == 1 else tritorch.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, tritorch.stack(h_n), (tritorch.stack(c_n) if c0 is not None else None)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    r"""Elman RNN, :math:`h_t = \tanh(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})` per layer.

    Args:
        input_size (int): features of x.
        hidden_size (int): features of h.
        num_layers (int, optional): stacked layers. Default: ``1``.
        nonlinearity (str, optional): ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.
        bias (bool, optional): Default: ``True``.
        batch_first (bool, optional): (N, L, H) input and output. Default: ``False``.
        dropout (float, optional): dropout on the outputs of all but the last layer. Default: ``0.0``.
        bidirectional (bool, optional): Default: ``False``.

    Examples:
        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(tritorch.randn(5, 3, 10), tritorch.randn(2, 3, 20))
        >>> output.shape, hn.shape
        (tritorch.Size([5, 3, 20]), tritorch.Size([2, 3, 20]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o); forward(input, (h_0, c_0)) -> (output, (h_n, c_n)).
    Arguments as RNN (no nonlinearity) plus proj_size (int, optional): project h to this size with
    ``weight_hr_l{k}``. Default: ``0``.

    Examples:
        >>> lstm = nn.LSTM(10, 20, batch_first=True)
        >>> output, (hn, cn) = lstm(tritorch.randn(3, 5, 10))
        >>> output.shape
        tritorch.Size([3, 5, 20])
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n, PyTorch's n = tanh(W_in x + b_in + r * (W_hn h + b_hn))).
    Arguments as RNN (no nonlinearity)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class RNNCellBase(Module):
    """One time step: parameters ``weight_ih`` (G * H, H_in), ``weight_hh`` (G * H, H), ``bias_ih``,
    ``bias_hh`` (G * H,), all U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(tritorch.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(tritorch.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(tritorch.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(tritorch.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, name, input, states):
        """(batched input (N, H_in), batched states, was_batched), with PyTorch's checks."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for s in states:
            if s is not None and s.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {s.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            states = [None if s is None else s.unsqueeze(0) for s in states]
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]}, expected {self.input_size}")
        out = []
        for i, s in enumerate(states):
            if s is None:
                s = tritorch.zeros((input.shape[0], self.hidden_size), dtype=input.dtype, device=input.device)
            if s.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, expected "
                                   f"{self.hidden_size}")
            out.append(s)
        return input, out, batched


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). input (N, H_in) or (H_in); hx (N, H) or None."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        x, (h,), batched = self._prepare("RNNCell", input, [hx])
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        h, _ = _step(mode, F.linear(x, self.weight_ih, self.bias_ih), h, None, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: forward(input, (h, c)) -> (h', c'); gates i, f, g, o."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._prepare("LSTMCell", input, [None, None] if hx is None else list(hx))
        h, c = _step("LSTM", F.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: forward(input, h) -> h'; gates r, z, n."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare("GRUCell", input, [hx])
        h, _ = _step("GRU", F.linear(x, self.weight_ih, self.bias_ih), h, None, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
