"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each is a context manager and a decorator, as in PyTorch. The state is one module-level
flag read by every op when it decides whether to record a graph node.
"""
import functools

_enabled = True


def is_grad_enabled():
    return _enabled


def _set(mode):
    global _enabled
    prev, _enabled = _enabled, bool(mode)
    return prev


class _GradMode:
    mode = True

    def __enter__(self):
        self._prev = _set(self.mode)

    def __exit__(self, *exc):
        _set(self._prev)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _set(self.mode)
            try:
                return fn(*args, **kwargs)
            finally:
                _set(prev)
        return wrapper


class _BareDecorator(_GradMode):
    """Also usable without parentheses: `@no_grad` as well as `@no_grad()` (PyTorch >= 2.0)."""

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        return self(orig_func) if callable(orig_func) else self

    def __init__(self, orig_func=None):
        pass


class no_grad(_BareDecorator):
    mode = False


class enable_grad(_BareDecorator):
    mode = True


class inference_mode(_GradMode):
    """Grad disabled (tritorch has no separate inference tensors: see the README)."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.mode = False
            return self(mode)
        return self

    def __init__(self, mode=True):
        if not callable(mode):
            self.mode = not mode


class set_grad_enabled(_GradMode):
    """Sets the mode at construction (so the plain call works) and restores it on exit."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = _set(self.mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set(self._prev)

    def __call__(self, fn):
        _set(self._prev)
        return super().__call__(fn)
