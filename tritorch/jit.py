"""torch.jit: TorchScript is PyTorch's compiler and file format; tritorch has neither.

``script`` and ``trace`` return the function or module unchanged (it runs eagerly, with the same
results), so programs that script a model for speed run as they are. ``ignore``/``unused``/
``export`` decorators return what they decorate. ``save``/``load`` of TorchScript archives raise:
use ``tritorch.save(model.state_dict(), path)`` instead.
"""
import typing

__all__ = ["script", "trace", "ignore", "unused", "export", "is_scripting", "is_tracing", "annotate", "Final",
           "TracerWarning", "ScriptModule", "ScriptFunction", "save", "load", "fork", "wait", "interface"]

Final = typing.Final


class TracerWarning(Warning):
    """PyTorch's warning category for tracing; tritorch never traces, so it is never raised."""


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Returns ``obj`` (a function or nn.Module) unchanged: tritorch runs it eagerly."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """Returns ``func`` (a function or nn.Module) unchanged: no graph is recorded, so data-dependent
    control flow keeps working (a real trace would freeze it)."""
    return func


def _decorator(fn=None, **kwargs):
    if fn is None or isinstance(fn, bool):        # @ignore(drop=True) / @ignore(True)
        return lambda f: f
    return fn


def ignore(drop=False, **kwargs):
    """``@torch.jit.ignore`` / ``@torch.jit.ignore(drop=True)``: returns the function."""
    return _decorator(drop, **kwargs)


def unused(fn):
    """``@torch.jit.unused``: returns the function."""
    return fn


def export(fn):
    """``@torch.jit.export``: returns the function."""
    return fn


def interface(obj):
    return obj


def is_scripting():
    """False: code never runs under TorchScript in tritorch."""
    return False


def is_tracing():
    """False: tritorch never traces."""
    return False


def annotate(the_type, the_value):
    return the_value


def fork(func, *args, **kwargs):
    """Runs ``func`` now; ``wait`` returns its result (TorchScript's async fork, done eagerly)."""
    return func(*args, **kwargs)


def wait(future):
    return future


class ScriptModule:
    """Nothing is ever a ScriptModule in tritorch (``isinstance(m, torch.jit.ScriptModule)`` is False)."""


class ScriptFunction:
    """Nothing is ever a ScriptFunction in tritorch."""


def save(m, f, _extra_files=None):
    raise NotImplementedError("tritorch.jit.save: tritorch has no TorchScript; save the weights with "
                              "tritorch.save(model.state_dict(), path) instead")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError(f"tritorch.jit.load({f!r}): tritorch cannot run a TorchScript archive (it holds "
                              "compiled code); load a state dict with tritorch.load into the model's class instead")

