"""torch.finfo / torch.iinfo: the numeric limits of floating and integer dtypes (PyTorch's fields)."""
import ml_dtypes
import numpy as np

from . import _dtype

__all__ = ["finfo", "iinfo"]


class finfo:
    """``finfo(dtype=None)``: bits, eps, max, min, tiny (= smallest_normal), resolution, dtype of a
    floating dtype (the default dtype when None)."""

    def __init__(self, type=None):
        d = _dtype.get_default_dtype() if type is None else _dtype.to_dtype(type)
        d = d.to_real()  # complex64 -> float32's limits, as PyTorch
        if not d.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            f"'{type}'")
        info = ml_dtypes.finfo(d.np) if d is _dtype.bfloat16 else np.finfo(d.np)
        self.bits, self.eps, self.max, self.min = int(info.bits), float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(10.0 ** -int(info.precision))
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """``iinfo(dtype)``: bits, min, max, dtype of an integer (or bool) dtype."""

    def __init__(self, type):
        d = _dtype.to_dtype(type)
        if d._inexact:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle '{type}'")
        info = np.iinfo(np.uint8) if d is _dtype.bool_ else np.iinfo(d.np)
        self.bits, self.min, self.max, self.dtype = int(info.bits), int(info.min), int(info.max), d.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
