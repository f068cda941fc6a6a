"""quiet(fn, *args): fn(*args) with numpy's floating-point warnings off, as PyTorch never warns
(1e38 * 10 is inf, 0 / 0 is NaN, quietly).

`with np.errstate(all="ignore")` builds its state object on every entry: about 1 µs, more than a
small add costs. numpy 2 keeps that state in one context variable, so the same effect is a
ContextVar.set/reset of a state built once (about 0.2 µs). Where numpy's internals differ, the
plain np.errstate is used.
"""
import numpy as np

__all__ = ["quiet"]

try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _IGNORE_ALL = _make_extobj(all="ignore")
    _set, _reset = _extobj_contextvar.set, _extobj_contextvar.reset

    def quiet(fn, *args):
        token = _set(_IGNORE_ALL)
        try:
            return fn(*args)
        finally:
            _reset(token)
except (ImportError, AttributeError, TypeError):  # pragma: no cover - an older or newer numpy
    def quiet(fn, *args):
        with np.errstate(all="ignore"):
            return fn(*args)
