"""Graph nodes and `Function`, the one way every differentiable op enters the graph.

An op is a `Function` subclass with `forward(ctx, *args)` (runs on raw data, with grad
disabled) and `backward(ctx, *grad_outputs)` (written in Tensor ops, so that running it with
grad enabled builds the graph of the gradient: that is how `create_graph=True` gives
higher-order derivatives). `Function.apply` creates the node, which doubles as the `ctx`
object, as in PyTorch.
"""
import types

from . import grad_mode
from .. import tensor as _tensor  # the module: tensor.py may import this package before defining Tensor

_NO_HOOKS = types.MappingProxyType({})


class Node:
    """One backward step: the `grad_fn` of a tensor, and the `ctx` of its forward.

    next_functions: per forward input, (node, output_nr) of where its gradient goes, or
    (None, 0) for inputs that need no gradient.
    """

    # Defaults live on the class: a node is made for every op (also untracked ones, as their
    # ctx), so __init__ sets only what differs per node.
    _name = None
    next_functions = ()
    needs_input_grad = ()
    _saved = None
    _freed = False
    _out_meta = ()              # (shape, dtype, device) per output, to materialize zero grads
    _pre_hooks = _NO_HOOKS      # output_nr -> [hook(grad) -> grad or None]
    _non_differentiable = ()
    _real_inputs = ()           # indices of real inputs of an op with a complex output
    materialize_grads = True

    def __init__(self, fn):
        self._fn = fn

    def name(self):
        # PyTorch's naming: built-in ops 'MulBackward0', custom Functions 'MyFnBackward'
        if self._name:
            return self._name
        builtin = self._fn.__module__.startswith("tritorch.")
        return f"{self._fn.__name__}Backward{'0' if builtin else ''}"

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    # -- ctx API ---------------------------------------------------------------------------
    def save_for_backward(self, *tensors):
        self._saved = tuple([(t, None if t is None else t._vc[0]) for t in tensors])

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors "
                "after they have already been freed). Saved intermediate values of the graph are freed "
                "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
                "backward through the graph a second time or if you need to access saved tensors after "
                "calling backward.")
        out = []
        for t, version in self._saved or ():
            if t is not None and t._vc[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.dtype.name} {list(t.shape)}], which is saved by {self.name()}, is at "
                    f"version {t._vc[0]}; expected version {version} instead.")
            out.append(t)
        return tuple(out)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tuple(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        pass  # in-place custom Functions are rebased by Tensor's in-place machinery

    def register_prehook(self, hook, output_nr=0):
        if self._pre_hooks is _NO_HOOKS:
            self._pre_hooks = {}
        self._pre_hooks.setdefault(output_nr, []).append(hook)

    # -- engine API ------------------------------------------------------------------------
    def apply(self, *grad_outputs):
        grads = self._fn.backward(self, *grad_outputs)
        grads = grads if isinstance(grads, tuple) else (grads,)
        if self._real_inputs:  # a complex output's gradient reaching a real input: its real part, as PyTorch
            grads = tuple([g.real if i in self._real_inputs and g is not None and g.dtype.is_complex else g
                           for i, g in enumerate(grads)])
        return grads

    def release(self):
        self._saved = None
        self._freed = True


class AccumulateGrad(Node):
    """The node at a leaf that requires grad: adds the incoming gradient to `variable.grad`."""

    _name = "AccumulateGrad"

    def __init__(self, variable):
        super().__init__(None)
        self.variable = variable
        self._out_meta = [(variable.shape, variable.dtype, variable.device)]
        self.post_hooks = []  # hook(variable) after its .grad is updated (DDP starts all-reduces here)

    def release(self):
        pass


def edge_of(t):
    """Where the gradient of tensor `t` must go: (node, output_nr), or (None, 0)."""
    if t is None or not getattr(t, "_requires_grad", False):
        return (None, 0)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._grad_accumulator is None:
        t._grad_accumulator = AccumulateGrad(t)
    return (t._grad_accumulator, 0)


class Function:
    """Base class of every differentiable op; subclass it for a custom autograd op:

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y
            @staticmethod
            def backward(ctx, grad):
                y, = ctx.saved_tensors
                return grad * y
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("subclasses of Function must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("subclasses of Function must implement backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _tensor.Tensor
        ctx = Node(cls)
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        ctx.needs_input_grad = needs
        if not grad_mode._enabled:  # e.g. every op of a backward pass: no node, no mode to switch
            return cls.forward(ctx, *args, **kwargs)
        prev = grad_mode._set(False)
        try:
            outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            grad_mode._set(prev)
        if not (prev and any(needs)):  # grad mode off or no input requires grad: no node
            ctx._saved = None
            return outputs
        if cls._name_override:
            ctx._name = cls._name_override
        ctx.next_functions = tuple([edge_of(a) if isinstance(a, Tensor) else (None, 0) for a in args])
        ctx._out_meta = []
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        complex_out = False
        for i, out in enumerate(outs):
            if not isinstance(out, Tensor):
                ctx._out_meta.append(None)
                continue
            dtype = out.dtype
            ctx._out_meta.append((out.shape, dtype, out._device))
            if dtype._inexact and id(out) not in ctx._non_differentiable:
                out.grad_fn, out._output_nr, out._requires_grad = ctx, i, True
                complex_out = complex_out or dtype.is_complex
        if complex_out:
            ctx._real_inputs = tuple([i for i, a in enumerate(args) if isinstance(a, Tensor) and a._requires_grad
                                      and not a.dtype.is_complex])
        return outputs

    _name_override = None


class once_differentiable:
    """Decorator for backward functions that are not themselves differentiable (PyTorch API)."""

    def __new__(cls, fn):
        return fn
