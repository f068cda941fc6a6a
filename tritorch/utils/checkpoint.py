"""torch.utils.checkpoint: checkpoint / checkpoint_sequential with PyTorch's results and gradients.

PyTorch's checkpoint saves memory by recomputing `function` in backward. tritorch keeps the forward
graph instead (no memory saved; results, gradients and random numbers are the same, since nothing is
run twice). The semantics PyTorch users can observe are kept: the warning when `use_reentrant` is not
passed, and with use_reentrant=True and no input that requires grad, an output without a gradient
(PyTorch's reentrant variant runs the forward under no_grad then).
"""
import warnings

from ..autograd import grad_mode

__all__ = ["checkpoint", "checkpoint_sequential"]


def _use_reentrant(use_reentrant):
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
                      "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", UserWarning, stacklevel=3)
        return True
    return use_reentrant


def _run(function, args, kwargs, reentrant):
    from ..tensor import Tensor
    if reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if grad_mode._enabled and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning,
                          stacklevel=3)
            with grad_mode.no_grad():
                return function(*args)
    return function(*args, **kwargs)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """function(*args, **kwargs), as torch.utils.checkpoint.checkpoint returns it (see the module doc)."""
    return _run(function, args, kwargs, _use_reentrant(use_reentrant))


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run the modules of `functions` (a Sequential or list) in order on `input`, in `segments` groups
    as PyTorch does: every group but the last through checkpoint(), the last one plainly."""
    reentrant = _use_reentrant(use_reentrant)
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    functions = list(functions)
    size = len(functions) // segments
    done = 0

    def run_group(group):
        def run(x):
            for fn in group:
                x = fn(x)
            return x
        return run
    for start in range(0, size * (segments - 1), size):
        input = _run(run_group(functions[start:start + size]), (input,), {}, reentrant)
        done = start + size
    return run_group(functions[done:])(input)
