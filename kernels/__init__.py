"""Fused Triton kernels with their numpy twins. Imports only triton, numpy and tritorch.cuda.

The functions here take tritorch cuda tensors (and return tensors), tritorch.cuda DeviceArrays,
or any GPU array that speaks DLPack / __cuda_array_interface__ (see _api.py); numpy arrays run
the numpy twin.
"""
try:
    import triton  # noqa: F401
except ModuleNotFoundError:
    raise ModuleNotFoundError("tritorch.kernels needs Triton, which is not installed: pip install -e '.[cuda]' on a "
                              "GPU machine, or pip install -e '.[interpret]' to run them emulated "
                              "(TRITON_INTERPRET=1)") from None
from .matmul import matmul, matmul_backward, matmul_backward_reference, matmul_reference
from .softmax import log_softmax, softmax, softmax_backward, softmax_backward_reference, softmax_reference
from .attention import (attention, attention_backward, attention_backward_reference, attention_dropout_mask,
                        attention_reference)
from .cross_entropy import (cross_entropy, cross_entropy_backward, cross_entropy_backward_reference,
                            cross_entropy_reference, linear_cross_entropy, linear_cross_entropy_reference)
from .layernorm import (NormOutput, layer_norm, layer_norm_backward, layer_norm_backward_reference,
                        layer_norm_reference, rms_norm, rms_norm_backward, rms_norm_reference)
from ._api import accepts_tensors

# tritorch cuda tensors, DeviceArrays and foreign GPU arrays in, the same kind out (see _api.py)
(matmul, matmul_backward, softmax, log_softmax, softmax_backward, attention, attention_backward,
 attention_dropout_mask, cross_entropy, cross_entropy_backward, linear_cross_entropy, layer_norm,
 layer_norm_backward, rms_norm, rms_norm_backward) = map(accepts_tensors, (
    matmul, matmul_backward, softmax, log_softmax, softmax_backward, attention, attention_backward,
    attention_dropout_mask, cross_entropy, cross_entropy_backward, linear_cross_entropy, layer_norm,
    layer_norm_backward, rms_norm, rms_norm_backward))

__all__ = [
    "log_softmax", "matmul", "matmul_backward", "matmul_backward_reference", "matmul_reference", "softmax",
    "softmax_backward", "softmax_backward_reference", "softmax_reference",
]
__all__ += [
    "NormOutput", "layer_norm", "layer_norm_backward", "layer_norm_backward_reference", "layer_norm_reference",
    "rms_norm", "rms_norm_backward", "rms_norm_reference",
]
__all__ += ["attention", "attention_backward", "attention_backward_reference", "attention_dropout_mask",
            "attention_reference"]
__all__ += ["cross_entropy", "cross_entropy_backward", "cross_entropy_backward_reference", "cross_entropy_reference",
            "linear_cross_entropy", "linear_cross_entropy_reference"]
