"""Dtypes and PyTorch's type-promotion rules.

A `dtype` names a numpy dtype (bfloat16 comes from ml_dtypes, numpy has none) and its
category: bool < integer < floating < complex. Promotion follows PyTorch, not numpy: int64 + float16
is float16, bfloat16 + float16 is float32, and Python scalars or 0-d tensors only change the
result's dtype when they belong to a higher category. Complex: complex64 and complex128 (numpy's
complex64/complex128 storage; PyTorch's complex32 has no counterpart here). A complex operand of a
lower priority level keeps the higher level's float precision (float64 tensor + 1j is complex128,
float32 tensor + complex128 0-d tensor is complex64), as PyTorch's combine_categories does.
"""
import ml_dtypes
import numpy as np


class dtype:
    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_rank", "is_complex", "_inexact",
                 "category")

    def __init__(self, name, np_dtype, is_floating_point, is_signed, rank, is_complex=False):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = is_floating_point
        self.is_signed = is_signed
        self.itemsize = self.np.itemsize
        self._rank = rank
        self.is_complex = is_complex
        self._inexact = is_floating_point or is_complex  # float or complex: differentiable, true division
        self.category = 3 if is_complex else 2 if is_floating_point else (0 if name == "bool" else 1)

    def to_real(self):
        """The real dtype of a complex one (complex64 -> float32); a real dtype itself."""
        return _TO_REAL.get(self, self)

    def to_complex(self):
        """The complex dtype of a float one (float32 -> complex64, float64 -> complex128)."""
        if self.is_complex:
            return self
        out = _TO_COMPLEX.get(self)
        if out is None:
            raise RuntimeError(f"Unknown Complex ScalarType for {SCALAR_TYPE_NAMES[self.name]}"
                               + (" (tritorch has no complex32)" if self is float16 else ""))
        return out

    def __repr__(self):
        return "tritorch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


def _by_name(name):
    return _NAMES[name]


bool_ = dtype("bool", np.bool_, False, False, 0)
uint8 = dtype("uint8", np.uint8, False, False, 1)
int8 = dtype("int8", np.int8, False, True, 1)
int16 = dtype("int16", np.int16, False, True, 2)
int32 = dtype("int32", np.int32, False, True, 3)
int64 = dtype("int64", np.int64, False, True, 4)
float16 = dtype("float16", np.float16, True, True, 1)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, True, True, 1)
float32 = dtype("float32", np.float32, True, True, 2)
float64 = dtype("float64", np.float64, True, True, 3)
complex64 = dtype("complex64", np.complex64, False, True, 2, is_complex=True)
complex128 = dtype("complex128", np.complex128, False, True, 3, is_complex=True)
_TO_REAL = {complex64: float32, complex128: float64}
_TO_COMPLEX = {float32: complex64, float64: complex128, bfloat16: complex64}  # as PyTorch: bf16 + 1j is complex64

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)
_NAMES = {d.name: d for d in ALL}
_FROM_NP = {d.np: d for d in ALL}
ALIASES = {"half": float16, "float": float32, "double": float64, "long": int64, "int": int32,
           "short": int16, "bool": bool_, "cfloat": complex64,
           "cdouble": complex128}
# PyTorch's ScalarType names, as its error messages spell them ("not implemented for 'Long'")
SCALAR_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                     "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
                     "float64": "Double", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}

_default_float = float32


def get_default_dtype():
    return _default_float


def set_default_dtype(d):
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def from_numpy_dtype(np_dtype):
    """The tritorch dtype of a numpy dtype; TypeError for types tritorch has not (complex, uint16...)."""
    found = _FROM_NP.get(np_dtype)  # the usual call: an array's numpy dtype, no np.dtype() needed
    if found is not None:
        return found
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
                        "complex128, complex64, float64, float32, float16, bfloat16, int64, int32, int16, int8, "
                        "uint8, and bool.") from None


def to_dtype(d):
    """Accept a tritorch dtype, a numpy dtype, or Python's bool/int/float (as PyTorch does)."""
    if isinstance(d, dtype):
        return d
    if d is bool:
        return bool_
    if d is int:
        return int64
    if d is float:
        return float64
    if d is complex:
        return complex128
    return from_numpy_dtype(d)


def promote_types(a, b):
    """PyTorch's torch.promote_types for two dtypes."""
    if a is b:
        return a
    if a.is_complex or b.is_complex:  # complex of the wider precision: float64 + complex64 -> complex128
        if a.is_complex and b.is_complex:
            return a if a._rank > b._rank else b
        c, other = (a, b) if a.is_complex else (b, a)
        return complex128 if other is float64 else c
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.is_floating_point:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a._rank > b._rank else b
    if a is uint8 or b is uint8:  # uint8 with a signed int: the smallest signed type holding both
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a._rank > b._rank else b


def scalar_dtype(value):
    """The dtype a Python scalar has when it stands alone (torch.tensor(value).dtype)."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (float, np.floating)):
        return _default_float
    if isinstance(value, (complex, np.complexfloating)):
        return _default_float.to_complex()
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def result_type(*operands):
    """dtype of an op over tensors and Python scalars, by PyTorch's three priority levels:
    tensors with dims > 0-d tensors > Python scalars. A lower level only matters when its
    category (bool < int < float) is higher than what the levels above it produced.
    Results are cached by the operands' (dtype, level) pairs."""
    kinds = tuple(map(_kind, operands))
    out = _RESULT_TYPES.get(kinds)
    if out is None:
        out = _result_type(kinds)
        if len(kinds) <= 3:
            _RESULT_TYPES[kinds] = out
    return out


_RESULT_TYPES = {}  # ((dtype, level), ...) -> result dtype


def _kind(x):
    """(dtype, level) of one operand: level 0 a tensor with dims, 1 a 0-d tensor, 2 a Python scalar."""
    d = getattr(x, "dtype", None)
    shape = getattr(x, "shape", None) if isinstance(d, dtype) else None
    if shape is not None:
        return d, (0 if len(shape) else 1)
    return scalar_dtype(x), 2


def _result_type(kinds):
    levels = [None, None, None]
    for d, lvl in kinds:
        levels[lvl] = d if levels[lvl] is None else promote_types(levels[lvl], d)
    out = None
    for d in levels:
        if d is None:
            continue
        if out is None:
            out = d
        elif d.category > out.category:
            # PyTorch's combine_categories: a lower level's complex keeps a higher level's float precision
            out = out.to_complex() if d.is_complex and out.is_floating_point else d
    return out
