"""What the public kernels accept and return, in one place (the kernel files see DeviceArrays only).

    from tritorch.kernels import softmax
    softmax(x)        # x a tritorch cuda tensor            -> a tritorch cuda tensor
                      # x a tritorch.cuda.DeviceArray        -> a DeviceArray
                      # x a CuPy / PyTorch / Numba CUDA array (DLPack or __cuda_array_interface__)
                      #                                      -> the same kind when its library has
                      #                                         from_dlpack, else a DeviceArray
                      # x a numpy array                      -> the float64 numpy twin, as numpy
    softmax(cpu_tensor)  # TypeError: x: expected a CUDA array, got a cpu tensor; move it with .cuda()

An output written into an argument (`out=`, `grad_in=`, `inplace_backward=True`) comes back as the
very tensor that was passed. The kernels record no autograd graph: use
tritorch.nn.functional for gradients.
"""
import functools
import inspect
import sys

import numpy as np

from tritorch.cuda import DeviceArray


def _tensor_type():
    from tritorch.tensor import Tensor
    return Tensor


def _foreign_maker(x):
    """The `from_dlpack` of a foreign array's library (cupy.from_dlpack, torch.from_dlpack), or None."""
    module = sys.modules.get(type(x).__module__.split(".")[0])
    maker = getattr(module, "from_dlpack", None)
    return maker if callable(maker) else None


def _is_foreign(x):
    return not isinstance(x, (DeviceArray, np.ndarray)) and (
        hasattr(x, "__cuda_array_interface__") or hasattr(x, "__dlpack__"))


def accepts_tensors(kernel):
    """Wrap a public kernel: tritorch tensors in -> DeviceArrays for the kernel -> tensors out."""
    names = list(inspect.signature(kernel).parameters)
    Tensor = None

    @functools.wraps(kernel)
    def wrapper(*args, **kwargs):
        nonlocal Tensor
        Tensor = Tensor or _tensor_type()
        device, foreign, passed = None, None, {}

        def unwrap(name, x):
            nonlocal device, foreign
            if isinstance(x, Tensor):
                if x.device.type != "cuda":
                    raise TypeError(f"{name}: expected a CUDA array, got a {x.device.type} tensor (shape "
                                    f"{list(x.shape)}, {x.dtype}); move it with .cuda()")
                device = device or x.device
                passed[id(x._data)] = x
                return x._data
            if foreign is None and _is_foreign(x):
                foreign = x
            return x

        args = [unwrap(names[i] if i < len(names) else f"argument {i}", x) for i, x in enumerate(args)]
        kwargs = {k: unwrap(k, v) for k, v in kwargs.items()}
        result = kernel(*args, **kwargs)
        if device is not None:
            return _rewrap(result, lambda a: passed[id(a)] if id(a) in passed else Tensor._make(a, device))
        maker = _foreign_maker(foreign) if foreign is not None else None
        if maker is not None:
            return _rewrap(result, lambda a: _foreign(maker, a))
        return result

    wrapper.__wrapped_kernel__ = kernel
    return wrapper


def _foreign(maker, array):
    try:
        return maker(array)
    except Exception:  # noqa: BLE001  (a library that cannot take this array back: keep the DeviceArray)
        return array


def _rewrap(result, convert):
    """`result` with every DeviceArray (alone, in a tuple/list/namedtuple) passed through `convert`."""
    if isinstance(result, DeviceArray):
        return convert(result)
    if isinstance(result, tuple):
        items = [_rewrap(r, convert) for r in result]
        return type(result)(*items) if hasattr(result, "_fields") else tuple(items)
    if isinstance(result, list):
        return [_rewrap(r, convert) for r in result]
    return result
