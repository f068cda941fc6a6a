"""Fused Triton kernels with their numpy twins. Imports only triton, numpy and tritorch.cuda."""
from .matmul import matmul, matmul_backward, matmul_backward_reference, matmul_reference
from .softmax import log_softmax, softmax, softmax_backward, softmax_backward_reference, softmax_reference
from .attention import (attention, attention_backward, attention_backward_reference, attention_dropout_mask,
                        attention_reference)
from .cross_entropy import (cross_entropy, cross_entropy_backward, cross_entropy_backward_reference,
                            cross_entropy_reference, linear_cross_entropy, linear_cross_entropy_reference)
from .layernorm import (NormOutput, layer_norm, layer_norm_backward, layer_norm_backward_reference,
                        layer_norm_reference, rms_norm, rms_norm_backward, rms_norm_reference)

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
