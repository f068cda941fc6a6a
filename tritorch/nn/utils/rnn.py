"""nn.utils.rnn: PackedSequence and the pad/pack helpers, as in PyTorch.

A PackedSequence holds the time steps of a batch of variable-length sequences, longest first:
``data`` (sum(lengths), *) is step 0 of every sequence, then step 1 of those still running, ...;
``batch_sizes`` (max_len,) int64 on the CPU counts the sequences running at each step;
``sorted_indices`` / ``unsorted_indices`` map the caller's batch order to the packed order and back
(None when the input was already sorted). Packing and padding are cat/index_select/pad, so
gradients flow through them on every device.
"""
from collections import namedtuple

import tritorch
from .. import functional as F

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpack_sequence", "unpad_sequence", "invert_permutation"]


def invert_permutation(permutation):
    if permutation is None:
        return None
    out = tritorch.empty_like(permutation)
    out[permutation] = tritorch.arange(permutation.numel(), device=permutation.device)
    return out


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """(data, batch_sizes, sorted_indices, unsorted_indices); build it with pack_padded_sequence or
    pack_sequence rather than by hand."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise ValueError("PackedSequence needs batch_sizes")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _map(self, fn):
        idx = [None if i is None else fn(i) for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(fn(self.data), self.batch_sizes, idx[0], idx[1])

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, *[None if i is None else i.to(data.device)
                                                    for i in (self.sorted_indices, self.unsorted_indices)])

    def cuda(self, *args, **kwargs):
        return self.to("cuda")

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=tritorch.float64)

    def float(self):
        return self.to(dtype=tritorch.float32)

    def half(self):
        return self.to(dtype=tritorch.float16)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _lengths_list(lengths):
    if tritorch.is_tensor(lengths):
        if lengths.device.type != "cpu":
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                               f"{lengths.device} {lengths.dtype} tensor")
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack (T, B, *) ((B, T, *) with batch_first) padded sequences of the given lengths (list or
    CPU int64 tensor of B). enforce_sorted=True requires decreasing lengths; False sorts them and
    records the permutation."""
    lengths = _lengths_list(lengths)
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                               "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        sorted_indices = tritorch.tensor(order, dtype=tritorch.int64, device=input.device)
        lengths = [lengths[i] for i in order]
    if batch_first:
        input = input.transpose(0, 1)
    if len(lengths) != input.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={input.shape[1]})")
    if lengths and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if lengths and lengths[0] > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths[0]} exceeds the padded input's "
                           f"{input.shape[0]} time steps (input of size {list(input.shape)})")
    if sorted_indices is not None:
        input = input.index_select(1, sorted_indices)
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(lengths[0] if lengths else 0)]
    data = tritorch.cat([input[t, :b] for t, b in enumerate(batch_sizes)], 0)
    return PackedSequence(data, tritorch.tensor(batch_sizes, dtype=tritorch.int64), sorted_indices, None)


def _padded_steps(sequence, padding_value=0.0):
    """(T, B, *) in packed (sorted) order, rows past each sequence's end filled with padding_value."""
    data, batch_sizes = sequence.data, [int(b) for b in sequence.batch_sizes.tolist()]
    n = batch_sizes[0]
    steps, offset = [], 0
    for b in batch_sizes:
        rows = data[offset:offset + b]
        if b < n:
            pad = [0, 0] * (data.dim() - 1) + [0, n - b]
            rows = F.pad(rows, pad, value=padding_value)
        steps.append(rows)
        offset += b
    return tritorch.stack(steps), batch_sizes


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths int64 (B,)) in the
    caller's batch order; total_length pads T further (it must be >= the longest sequence)."""
    padded, batch_sizes = _padded_steps(sequence, padding_value)
    max_len = len(batch_sizes)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_len}")
        if total_length > max_len:
            pad = [0, 0] * (padded.dim() - 1) + [0, total_length - max_len]
            padded = F.pad(padded, pad, value=padding_value)
    lengths = [sum(1 for b in batch_sizes if b > i) for i in range(batch_sizes[0])]
    lengths = tritorch.tensor(lengths, dtype=tritorch.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack a list of (L_i, *) tensors into (max L, B, *) ((B, max L, *) with batch_first),
    padding each on the given side ('right' or 'left') with padding_value."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if tritorch.is_tensor(sequences):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = max_len - s.shape[0]
        if extra:
            pad = [0, 0] * (s.dim() - 1) + ([extra, 0] if padding_side == "left" else [0, extra])
            s = F.pad(s, pad, value=padding_value)
        padded.append(s)
    return tritorch.stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_i, *) tensors (decreasing L_i unless enforce_sorted=False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of (L_i, *) tensors."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences.unbind(0), _lengths_list(lengths))]


def unpack_sequence(packed_sequences):
    """A PackedSequence back into the list of (L_i, *) tensors, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
