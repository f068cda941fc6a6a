"""tritorch.autograd: the dynamic graph, backward, grad, custom Functions and gradcheck."""
from . import grad_mode
from .engine import backward, grad
from .function import Function, once_differentiable
from .function import Node as _Node
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .._legacy_tensor_types import Variable  # torch.autograd.Variable: returns a tensor
from . import profiler  # noqa: F401  (torch.autograd.profiler.record_function)

__all__ = ["Function", "backward", "grad", "gradcheck", "gradgradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "once_differentiable", "GradcheckError", "Variable"]


class function:  # so that `tritorch.autograd.function.FunctionCtx` style look-ups resolve
    FunctionCtx = _Node
    Function = Function
    once_differentiable = once_differentiable
