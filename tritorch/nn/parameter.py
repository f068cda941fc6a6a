"""nn.Parameter: a Tensor that a Module registers as a learnable parameter when assigned."""
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that is registered by `Module.__setattr__` as a parameter.

    Shares memory with `data` (no copy) and requires grad by default.

    Args:
        data (Tensor, optional): the values. Default: an empty float32 tensor.
        requires_grad (bool, optional): whether the parameter requires gradient. Default: ``True``.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._ops.creation import empty
            data = empty(0)
        self = object.__new__(cls)
        self._init(data._data, data._device)
        self._vc = data._vc
        if requires_grad:
            self.requires_grad_(True)
        return self

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (Tensor._make(self._data, self._device), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(Tensor._make(self._b.copy(self._data), self._device), self.requires_grad)
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = out
        return out


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """nn.Buffer: a Tensor registered by `Module.__setattr__` as a buffer.

    Args:
        data (Tensor): the values (shared, not copied).
        persistent (bool, optional): whether it is part of ``state_dict``. Default: ``True``.
    """

    def __new__(cls, data, *, persistent=True):
        self = object.__new__(cls)
        self._init(data._data, data._device)
        self._vc = data._vc
        self.persistent = persistent
        return self

    def __init__(self, data, *, persistent=True):
        pass
