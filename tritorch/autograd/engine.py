"""The backward pass: `backward` (accumulate into leaves' .grad) and `grad` (return gradients).

Nodes run in dependency order: a node runs once all the gradients flowing into it have
arrived, so each node runs exactly once per pass however many paths reach it.
"""
import sys

import numpy as np

from . import grad_mode
from ..amp.autocast import suspended as autocast_suspended
from .function import AccumulateGrad, edge_of

# A leaf's first gradient becomes its .grad without a copy when no one else can reach its memory, as
# PyTorch's AccumulateGrad steals a gradient whose use count is 1 (a copy of every parameter's
# gradient per step otherwise). "No one else" is proven by the numpy array's reference count, which
# CPython reports exactly up to 3.13 (3.14 may borrow references and report less: copy there).
_STEAL = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def _as_tuple(x):
    if x is None:
        return ()
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _initial_grads(outputs, grad_outputs):
    from .. import _ops
    grads = []
    for out, g in zip(outputs, grad_outputs + (None,) * (len(outputs) - len(grad_outputs))):
        if not out.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out.dtype.is_complex:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
            g = _ops.ones_like(out)
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {tuple(g.shape)} and "
                               f"output[0] has a shape of {tuple(out.shape)}.")
        grads.append(g)
    return grads


def _dependencies(roots):
    deps, seen, stack = {}, set(), [n for n in roots if n is not None]
    seen.update(id(n) for n in stack)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append(nxt)
    return deps


def _zeros(meta):
    from .. import _ops
    shape, dtype, device = meta
    return _ops.zeros(shape, dtype=dtype, device=device)


def run_backward(outputs, grad_outputs, retain_graph, create_graph, capture=None):
    """Run the graph from `outputs`. With `capture` (a list of edges), return the gradients
    arriving at those edges instead of accumulating into leaves."""
    outputs, grad_outputs = _as_tuple(outputs), _as_tuple(grad_outputs)
    grads = _initial_grads(outputs, grad_outputs)
    buffers = {}
    roots = []
    for out, g in zip(outputs, grads):
        node, nr = edge_of(out)
        buf = buffers.setdefault(node, [None] * len(node._out_meta))
        buf[nr] = g if buf[nr] is None else buf[nr] + g
        if node not in roots:
            roots.append(node)
    deps = _dependencies(roots)
    # what may not be stolen: the caller's own gradient tensors, anything a hook has seen, and what a
    # Function defined outside tritorch returned (it may hand back a tensor its caller holds)
    given, foreign, hooked = {id(g) for g in grads}, set(), False
    captured = {edge: None for edge in capture} if capture is not None else None
    ready = [n for n in roots if deps.get(n, 0) == 0]
    prev = grad_mode._set(create_graph)
    autocast_suspended().__enter__()  # backward ops run in the forward's dtypes, not autocast's
    try:
        while ready:
            node = ready.pop()
            in_grads = buffers.pop(node)
            for nr, hooks in node._pre_hooks.items():
                for hook in hooks:
                    if in_grads[nr] is not None:
                        hooked = True
                        new = hook(in_grads[nr])
                        if new is not None:
                            in_grads[nr] = new
            if captured is not None:
                for nr, g in enumerate(in_grads):
                    if (node, nr) in captured:
                        captured[(node, nr)] = g
            if isinstance(node, AccumulateGrad):
                if captured is None and in_grads[0] is not None:
                    g = in_grads[0]
                    _accumulate(node.variable, g, create_graph,
                                _STEAL and not hooked and id(g) not in given and node not in foreign)
                    for hook in node.post_hooks:
                        hook(node.variable)
                continue
            if all(g is None for g in in_grads):
                out_grads = (None,) * len(node.next_functions)
            else:
                if node.materialize_grads:
                    in_grads = [_zeros(m) if g is None and m is not None else g
                                for g, m in zip(in_grads, node._out_meta)]
                out_grads = node.apply(*in_grads)
                if not retain_graph:
                    node.release()
            builtin = getattr(node._fn, "__module__", "").startswith("tritorch.")
            for (nxt, nr), g in zip(node.next_functions, out_grads):
                if nxt is None:
                    continue
                if g is not None:
                    if not builtin:
                        foreign.add(nxt)
                    buf = buffers.setdefault(nxt, [None] * len(nxt._out_meta))
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                else:
                    buffers.setdefault(nxt, [None] * len(nxt._out_meta))
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    ready.append(nxt)
    finally:
        grad_mode._set(prev)
        autocast_suspended().__exit__()
    return captured


def _private(g):
    """Whether g's memory is a C-contiguous numpy array that only the tensor g holds (a sparse g has
    no single array: never)."""
    if g.is_sparse:
        return False
    d = g._data
    # references to d: g._data, the name d, getrefcount's argument; a view, a second tensor on it: more
    return (type(d) is np.ndarray and d.base is None and d.flags.c_contiguous and d.flags.writeable
            and sys.getrefcount(d) == 3)


def _accumulate(var, g, create_graph, may_steal=False):
    if g.shape != var.shape:  # a grad that was not reduced over broadcast dims would be a bug
        g = g.sum_to_size(var.shape)
    if var.grad is None and may_steal and not create_graph and g.dtype is var.dtype and _private(g):
        var.grad = g.detach()
        return
    if not create_graph:
        g = g.detach()
    if var.grad is None:
        var.grad = g if create_graph else g.clone()
    elif create_graph:
        var.grad = var.grad + g
    else:
        var.grad.add_(g)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """tritorch.autograd.backward: accumulate d(tensors)/d(leaves) into the leaves' .grad."""
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_tuple(inputs)
        got = grad(tensors, inputs, grad_tensors, retain_graph=retain_graph,
                   create_graph=create_graph, allow_unused=True)
        for t, g in zip(inputs, got):
            if g is not None:
                _accumulate(t, g, create_graph)
        return
    run_backward(tensors, _as_tuple(grad_tensors), retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """tritorch.autograd.grad: the gradients of `outputs` with respect to `inputs`, as a tuple.
    (`only_inputs` is PyTorch's deprecated no-op; `is_grads_batched=True` is not supported.)"""
    from .. import _ops
    if not only_inputs:
        import warnings
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.", FutureWarning,
                      stacklevel=2)
    if is_grads_batched:
        raise NotImplementedError("tritorch.autograd.grad: is_grads_batched=True (vmap over grad_outputs) is not "
                                  "supported; loop over the grad_outputs instead")
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    edges = [edge_of(t) for t in inputs]
    captured = run_backward(outputs, _as_tuple(grad_outputs), retain_graph, create_graph, capture=edges)
    result = []
    for t, edge in zip(inputs, edges):
        g = captured[edge]
        if g is None:
            if materialize_grads:
                g = _ops.zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
