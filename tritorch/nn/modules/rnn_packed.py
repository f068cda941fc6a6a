"""RNN/LSTM/GRU on a PackedSequence: the padded steps in packed order, each step run on the
sequences still running (RNNBase._run with batch_sizes), the result packed again."""
import tritorch
from ..utils.rnn import PackedSequence, _padded_steps


def forward_packed(self, input, hx):
    """PackedSequence in, PackedSequence out; hx and h_n in the caller's batch order."""
    lstm = self.mode == "LSTM"
    x, batch_sizes = _padded_steps(input)
    n = batch_sizes[0]
    h0, c0 = (hx if hx is not None else (None, None)) if lstm else (hx, None)
    if input.sorted_indices is not None:
        h0, c0 = (None if h is None else h.index_select(1, input.sorted_indices) for h in (h0, c0))
    out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
    rows = self.num_layers * self._directions
    if h0 is None:
        h0 = tritorch.zeros((rows, n, out_size), dtype=x.dtype, device=x.device)
    if lstm and c0 is None:
        c0 = tritorch.zeros((rows, n, self.hidden_size), dtype=x.dtype, device=x.device)
    self._check(x, n, h0, c0)
    output, h_n, c_n = self._run(x, h0, c0, batch_sizes)
    data = tritorch.cat([output[t, :b] for t, b in enumerate(batch_sizes)], 0)
    output = PackedSequence(data, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
    if input.unsorted_indices is not None:
        h_n, c_n = (None if h is None else h.index_select(1, input.unsorted_indices) for h in (h_n, c_n))
    return (output, (h_n, c_n)) if lstm else (output, h_n)
