"""Padding layers: Constant/Zero/Reflection/Replication/Circular Pad 1d, 2d, 3d over F.pad."""
from .. import functional as F
from .module import Module


def _ntuple(padding, n):
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(int(p) for p in padding)
    if len(padding) != 2 * n:
        raise ValueError(f"padding must be an int or a {2 * n}-tuple, got {padding}")
    return padding


class _PadNd(Module):
    _mode = "constant"
    _n = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, self._n)

    def _check_dim(self, input):
        n = self._n
        if input.dim() not in (n + 1, n + 2):
            raise ValueError(f"{type(self).__name__}: expected {n + 1}D or {n + 2}D input "
                             f"(got {input.dim()}D input of size {list(input.shape)})")

    def forward(self, input):
        self._check_dim(input)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


def _make(name, base, mode, n, doc):
    return type(name, (base,), {"_mode": mode, "_n": n, "__doc__": doc, "__module__": __name__})


_SHAPES = {1: "(N, C, W) or (C, W)", 2: "(N, C, H, W) or (C, H, W)", 3: "(N, C, D, H, W) or (C, D, H, W)"}
_SIDES = {1: "(left, right)", 2: "(left, right, top, bottom)", 3: "(left, right, top, bottom, front, back)"}

for _n in (1, 2, 3):
    for _kind, _mode in (("Reflection", "reflect"), ("Replication", "replicate"), ("Circular", "circular")):
        globals()[f"{_kind}Pad{_n}d"] = _make(
            f"{_kind}Pad{_n}d", _PadNd, _mode, _n,
            f"Pad {_SHAPES[_n]} in '{_mode}' mode.\n\n    Args:\n        padding (int or tuple): an int for every "
            f"side, or {_SIDES[_n]}.\n")
    globals()[f"ConstantPad{_n}d"] = _make(
        f"ConstantPad{_n}d", _ConstantPadNd, "constant", _n,
        f"Pad {_SHAPES[_n]} with a constant value.\n\n    Args:\n        padding (int or tuple): an int for every "
        f"side, or {_SIDES[_n]}.\n        value (float): the fill value.\n")


def _zero_init(self, padding):
    _ConstantPadNd.__init__(self, padding, 0.0)


def _zero_repr(self):
    return f"{self.padding}"


for _n in (1, 2, 3):
    globals()[f"ZeroPad{_n}d"] = type(f"ZeroPad{_n}d", (globals()[f"ConstantPad{_n}d"],), {
        "__init__": _zero_init, "extra_repr": _zero_repr, "__module__": __name__,
        "__doc__": f"Pad {_SHAPES[_n]} with zeros.\n\n    Args:\n        padding (int or tuple): an int for every side, "
                   f"or {_SIDES[_n]}.\n"})

__all__ = [f"{k}Pad{n}d" for n in (1, 2, 3) for k in ("Reflection", "Replication", "Circular", "Constant", "Zero")]
