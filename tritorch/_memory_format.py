"""torch.memory_format values: ``contiguous_format``, ``channels_last``, ``channels_last_3d``,
``preserve_format``. tritorch tensors are always laid out row-major (contiguous) after an op, so
``.to(memory_format=torch.channels_last)`` / ``.contiguous(memory_format=...)`` accept these and
the results are correct in every case; only the physical layout PyTorch would choose differs."""

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


class memory_format:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return (memory_format, (self.name,))


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
