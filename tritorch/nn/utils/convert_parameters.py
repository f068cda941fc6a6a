"""parameters_to_vector and vector_to_parameters."""
import tritorch
from ...autograd import grad_mode


def _check_device(param, old):
    if old is not None and param.device != old:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return param.device


def parameters_to_vector(parameters):
    """One 1-D tensor: the parameters flattened and concatenated in order (differentiable)."""
    device, vec = None, []
    for p in parameters:
        device = _check_device(p, device)
        vec.append(p.reshape(-1))
    return tritorch.cat(vec)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D tensor vec into the parameters (their .data), in order."""
    if not isinstance(vec, tritorch.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device, pointer = None, 0
    for p in parameters:
        device = _check_device(p, device)
        n = p.numel()
        with grad_mode.no_grad():
            p.data = vec[pointer:pointer + n].reshape(p.shape).detach().clone()
        pointer += n
