"""Module backward hooks: register_full_backward_pre_hook / register_full_backward_hook.

As in PyTorch, calling a module that has backward hooks (with grad mode on) passes the tensor
arguments that require grad through one identity node and the output tensors through another:

    args --[_InputHook]--> forward --[_OutputHook]--> result

In backward, _OutputHook sees grad_output (a tuple, one entry per output tensor) and runs the
pre-hooks, `hook(module, grad_output) -> None or new grad_output`; _InputHook then sees the gradients
of the module's inputs and runs the hooks, `hook(module, grad_input, grad_output) -> None or new
grad_input`, where grad_input has one entry per tensor positional argument (None for those that
need no gradient: zeros when some other input needs one, as PyTorch materialises them). When no input needs a gradient, the hooks run from _OutputHook with grad_input
all None, and must return None.
"""
from ...autograd import grad_mode
from ...autograd.function import Function
from ...tensor import Tensor


def zeros_like(t):
    from ... import zeros_like as make
    return make(t)


class _HookState:
    def __init__(self, module, n_inputs):
        self.module, self.n_inputs, self.grad_output = module, n_inputs, None
        self.input_positions = []     # indices (among tensor args) of the ones that require grad
        self.outputs, self.output_positions = [], []
        self.inputs = []


def _check_count(new, expected, what, hook):
    new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
    if len(new) != expected:
        raise RuntimeError(f"Backward hook returned an invalid number of {what} ({hook!r}): "
                           f"got {len(new)}, but expected {expected}")
    return new


class _OutputHook(Function):
    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tuple(t.detach() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        module = state.module
        full = [zeros_like(t) for t in state.outputs]     # PyTorch: zeros for outputs without grad
        for pos, g in zip(state.output_positions, grads):
            full[pos] = g
        grads = tuple(full)
        for hook in list(module._backward_pre_hooks.values()):
            out = hook(module, grads)
            if out is not None:
                grads = _check_count(out, len(grads), "grad_output", hook)
        state.grad_output = grads
        if not state.input_positions:
            for hook in list(module._backward_hooks.values()):
                out = hook(module, (None,) * state.n_inputs, grads)
                if out is not None and any(g is not None for g in _check_count(out, state.n_inputs,
                                                                              "grad_input", hook)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should "
                                       "always return None or None for all gradients.")
        return (None,) + tuple(grads[pos] for pos in state.output_positions)


class _InputHook(Function):
    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tuple(t.detach() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        module = state.module
        grad_input = [zeros_like(t) for t in state.inputs]
        for pos, g in zip(state.input_positions, grads):
            grad_input[pos] = g
        grad_input = tuple(grad_input)
        for hook in list(module._backward_hooks.values()):
            out = hook(module, grad_input, state.grad_output)
            if out is not None:
                grad_input = _check_count(out, state.n_inputs, "grad_input", hook)
        return (None,) + tuple(grad_input[pos] for pos in state.input_positions)


def call_with_backward_hooks(module, args, kwargs):
    """module.forward(*args, **kwargs) with the input and output identity nodes around it."""
    if not grad_mode._enabled:
        return None, args
    tensor_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    state = _HookState(module, len(tensor_idx))
    need = [(k, i) for k, i in enumerate(tensor_idx) if args[i].requires_grad]
    if need:
        state.input_positions = [k for k, _ in need]
        state.inputs = [args[i].detach() for i in tensor_idx]
        wrapped = _InputHook.apply(state, *[args[i] for _, i in need])
        args = list(args)
        for (_, i), t in zip(need, wrapped):
            args[i] = t
        args = tuple(args)
    return state, args


def wrap_outputs(state, result):
    """Pass the output tensors (a tensor, or those inside a tuple/list) through _OutputHook."""
    if state is None:
        return result
    single = isinstance(result, Tensor)
    if not single and not isinstance(result, (tuple, list)):
        return result
    items = [result] if single else list(result)
    tensors = [i for i, r in enumerate(items) if isinstance(r, Tensor)]
    need = [k for k, i in enumerate(tensors) if items[i].requires_grad]
    if not need:
        return result
    state.outputs, state.output_positions = [items[i].detach() for i in tensors], need
    wrapped = _OutputHook.apply(state, *[items[tensors[k]] for k in need])
    for k, t in zip(need, wrapped):
        items[tensors[k]] = t
    if single:
        return items[0]
    return type(result)(*items) if hasattr(result, "_fields") else type(result)(items)
