"""tritorch: PyTorch's interface; Triton kernels on the GPU, numpy on the CPU; no PyTorch inside.

    import tritorch as torch
    x = torch.tensor(2.0, requires_grad=True)
    (x ** 2 + 3 * x + 1).backward()
    x.grad  # tensor(7.)

Nothing here touches a GPU at import time: CUDA is looked up on first use.
"""
from . import _dtype
from ._device import device
from ._dtype import (bfloat16, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
                     promote_types, set_default_dtype, uint8)
from ._dtype import bool_ as bool  # noqa: A001  (torch.bool)
from ._dtype import complex64, complex128  # noqa: E402
from ._random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Size, Tensor, _bind_methods
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from ._ops import *  # noqa: F401,F403
from ._ops import UNARY as _UNARY, BINARY as _BINARY
from . import amp
from .amp import autocast, get_autocast_dtype, is_autocast_enabled
from ._tensor_str import get_printoptions, set_printoptions

_bind_methods()
globals().update({k: v for k, v in _UNARY.items()})
globals().update({k: v for k, v in _BINARY.items() if k not in ("add", "sub", "div", "pow")})

__version__ = "0.1.0"

half, float, double, long, int, short = float16, float32, float64, int64, int32, int16  # noqa: A001
cfloat, cdouble = complex64, complex128


def result_type(tensor1, tensor2):
    return _dtype.result_type(tensor1, tensor2)


def can_cast(from_, to):
    return from_.category <= to.category


_LAZY_SUBMODULES = ("cuda", "kernels", "nn", "optim", "utils", "datasets", "amp", "linalg", "fft", "special", "backends", "accelerator", "jit",
                    "hub", "onnx", "compiler", "multiprocessing", "version", "random", "testing", "distributed",
                    "distributions", "profiler", "fx", "futures", "nested", "_dynamo", "xpu", "classes")


def __getattr__(name):
    """Submodules in _LAZY_SUBMODULES are imported on first access, so `import tritorch` stays light."""
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from .serialization import load, save  # noqa: E402

# device idioms, global switches, legacy names and the names outside a framework's job (issue 18)
from math import e, inf, nan, pi  # noqa: E402,F401
from ._global_settings import (are_deterministic_algorithms_enabled, get_default_device,  # noqa: E402,F401
                               get_float32_matmul_precision, get_num_interop_threads, get_num_threads,
                               is_deterministic_algorithms_warn_only_enabled, set_default_device,
                               set_float32_matmul_precision, set_num_interop_threads, set_num_threads,
                               use_deterministic_algorithms)
from ._legacy_tensor_types import CPU_TYPES as _LEGACY_TYPES  # noqa: E402
from ._compile import compile  # noqa: E402,A001
globals().update(_LEGACY_TYPES)
from ._ops.keyword_forms import install as _install_keyword_forms  # noqa: E402
_install_keyword_forms(globals(), Tensor)   # axis=/keepdims= aliases and out= (PyTorch's argument parser)
from ._tensor_compat_methods import install as _install_compat_methods  # noqa: E402
_install_compat_methods(Tensor)
from ._storage import install as _install_storage  # noqa: E402
_install_storage(Tensor)   # untyped_storage()/storage()/storage_offset()
from ._complex_views import istft, polar, stft, view_as_complex, view_as_real  # noqa: E402,F401
Tensor.stft, Tensor.istft = stft, istft
from ._vmap import vmap  # noqa: E402,F401
from ._scaled_mm import _scaled_mm  # noqa: E402,F401
from ._more_tensor_ops import install as _install_more_ops  # noqa: E402
_install_more_ops(globals(), Tensor)   # select, tile, index_fill(_), addcmul(_), dist, fill
from ._sparse import install as _install_sparse  # noqa: E402
_install_sparse(globals(), Tensor)   # to_sparse / sparse_coo_tensor / spmm raise: no sparse tensors
from ._type_info import finfo, iinfo  # noqa: E402,F401
from ._legacy_tensor_types import set_default_tensor_type  # noqa: E402,F401
from .amp.deprecated import get_autocast_cpu_dtype, get_autocast_gpu_dtype, is_autocast_cpu_enabled  # noqa: E402,F401
from ._memory_format import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format  # noqa: E402,F401,E501
