"""torch.nested: nested (ragged) tensors are not implemented in tritorch; building one raises
NotImplementedError saying so. Pad the sequences instead (tritorch.nn.utils.rnn.pad_sequence) and
pass a mask or lengths."""
__all__ = ["nested_tensor", "as_nested_tensor", "narrow", "to_padded_tensor"]


def _refuse(name):
    raise NotImplementedError(f"tritorch.nested.{name}: tritorch does not implement nested (ragged) tensors; pad "
                              "the sequences to one length (tritorch.nn.utils.rnn.pad_sequence) and pass a mask or "
                              "the lengths instead")


def nested_tensor(tensor_list, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    _refuse("nested_tensor")


def as_nested_tensor(ts, dtype=None, device=None, layout=None):
    _refuse("as_nested_tensor")


def narrow(tensor, dim, start, length, layout=None):
    _refuse("narrow")


def to_padded_tensor(input, padding, output_size=None):
    _refuse("to_padded_tensor")
