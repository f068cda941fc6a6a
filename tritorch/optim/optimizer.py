"""The Optimizer base: parameter groups, per-parameter state, state_dict, zero_grad and step.

PyTorch outside, MLX inside: the public surface is PyTorch's (`param_groups`, `state`,
`state_dict()` with parameters by index, `add_param_group`, `zero_grad(set_to_none=True)`,
`step(closure=None)`); a subclass writes only `_init_state(p, group) -> dict` and
`_update(p, state, group)`, which calls one fused backend primitive through `_fused`.
"""
from collections import defaultdict
from copy import deepcopy
from itertools import chain
import warnings

from ..autograd import enable_grad, no_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a default that every parameter group must set (e.g. SGD's lr in old PyTorch)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _fused(name, tensors, *args):
    """Run backend primitive `name` (param, grad, state arrays..., plain values) on the raw arrays
    of `tensors` (None passes through): it updates the parameter and its state in place, as one
    numpy expression on the CPU and one kernel launch on cuda."""
    getattr(tensors[0]._b, name)(*[None if t is None else t._data for t in tensors], *args)


def _typename(obj):
    return "tritorch.Tensor" if isinstance(obj, Tensor) else type(obj).__module__ + "." + type(obj).__qualname__


class Optimizer:
    """Base class of all optimizers.

    Args:
        params (iterable): Tensors to optimize, (name, Tensor) pairs, or dicts defining parameter
            groups (each with a ``"params"`` entry and any hyper-parameters overriding `defaults`).
        defaults (dict): default hyper-parameters of every group.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key not in ("params", "param_names"):
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # -- parameter groups ---------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group (a dict with "params" and optional hyper-parameters) to `param_groups`."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            param_group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        param_group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- state dict ---------------------------------------------------------------------------
    def state_dict(self):
        """{'state': {index: {name: value}}, 'param_groups': [{hyper-parameters..., 'params': [indices]}]}.

        Parameters are numbered in group order; the state tensors are the live ones (not copies),
        as in PyTorch: save or deepcopy the dict to keep a snapshot."""
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a dict made by `state_dict()`: hyper-parameters per group, and the state of each
        parameter, cloned and moved to the parameter's device (floating state also to its dtype;
        'step' stays where it was saved)."""
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(self.param_groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {name: _cast(p, value, name) for name, value in v.items()}
            else:
                state[k] = v
        for group, new in zip(self.param_groups, saved_groups):
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})

    # -- the training-loop calls ------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors: to None (default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure=None):
        """Update every parameter that has a `.grad`. `closure` (re-evaluates the model and returns
        the loss) runs first, with grad enabled; its loss is returned."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    sparse = p.grad.is_sparse
                    if sparse and self._sparse_grads is not True:
                        raise RuntimeError(self._sparse_grads or f"{type(self).__name__} does not support sparse "
                                           "gradients")
                    if p.dtype.is_complex:
                        self._update_complex(p, group)
                        continue
                    state = self.state.get(p)
                    if state is None:
                        state = self._init_state(p, group)
                    (self._update_sparse if sparse else self._update)(p, state, group)
                    if state:
                        self.state[p] = state
                    p._vc[0] += 1                            # the parameter changed in place
        return loss

    def _update_complex(self, p, group):
        """A complex parameter is updated as its real view (..., 2), each real and imaginary part on its own,
        as PyTorch's optimizers do (Adam's second moment is then re^2 and im^2, not the complex g * g). Its
        state is kept complex, as PyTorch's state_dict holds it."""
        from .._complex_views import view_as_complex, view_as_real
        rp = view_as_real(p)
        rp.grad = view_as_real(p.grad)
        state = self.state.get(p)
        if state is None:
            state = self._init_state(rp, group)
        else:
            state = {k: view_as_real(v) if isinstance(v, Tensor) and v.dtype.is_complex else v
                     for k, v in state.items()}
        self._update(rp, state, group)
        if state:
            self.state[p] = {k: view_as_complex(v.contiguous()) if isinstance(v, Tensor) and tuple(v.shape) == tuple(
                rp.shape) and v.dtype is rp.dtype else v for k, v in state.items()}
        p._vc[0] += 1

    # True where _update_sparse handles sparse COO gradients; else the error message (None: the default one)
    _sparse_grads = None

    def _init_state(self, p, group):
        """The state of `p` before its first update (a dict; empty for stateless updates)."""
        return {}

    def _update(self, p, state, group):
        raise NotImplementedError(f"{type(self).__name__} must define step() or _update(p, state, group)")


def _cast(param, value, key):
    """An optimizer-state value as load_state_dict stores it: tensors cloned onto param's device
    (and to its dtype when both are floating); 'step' is only cloned, as PyTorch keeps it on the
    CPU; containers recursively."""
    if isinstance(value, Tensor):
        value = value.detach()
        if key == "step":
            return value.clone()
        if param.is_floating_point() and value.is_floating_point():
            return value.to(device=param.device, dtype=param.dtype, copy=True)
        return value.to(device=param.device, copy=True)
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v, key) for v in value)
    return value


def _closure_loss(closure):
    """An optimizer step's closure (re-evaluates the model, returns the loss) run with grad enabled; None
    without one."""
    if closure is None:
        return None
    with enable_grad():
        return closure()
