"""torch.backends.cuda: ``matmul.allow_tf32`` and the scaled-dot-product switches.

``matmul.allow_tf32`` is a view of the float32 matmul precision, as in PyTorch: reading it says
whether the precision is not ``"highest"``; setting True selects ``"high"``, False ``"highest"``.
"""
import contextlib
import importlib.util

from .. import _global_settings


class _Matmul:
    """torch.backends.cuda.matmul"""
    __slots__ = ()

    @property
    def allow_tf32(self):
        return _global_settings.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value):
        _global_settings.set_float32_matmul_precision("high" if value else "highest")

    # tritorch's float16/bfloat16 matmuls always accumulate in float32 (PyTorch's default is True:
    # a reduced-precision reduction is allowed but not required, so False is what we do either way)
    allow_fp16_reduced_precision_reduction = property(lambda self: False, lambda self, v: None)
    allow_bf16_reduced_precision_reduction = property(lambda self: False, lambda self, v: None)


matmul = _Matmul()


def is_built():
    """Whether tritorch can drive a GPU here: cuda-python is installed (tritorch[cuda])."""
    return importlib.util.find_spec("cuda") is not None and importlib.util.find_spec("cuda.bindings") is not None


_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def flash_sdp_enabled():
    return _sdp["flash"]


def mem_efficient_sdp_enabled():
    return _sdp["mem_efficient"]


def math_sdp_enabled():
    return _sdp["math"]


def enable_flash_sdp(enabled):
    _sdp["flash"] = bool(enabled)


def enable_mem_efficient_sdp(enabled):
    _sdp["mem_efficient"] = bool(enabled)


def enable_math_sdp(enabled):
    _sdp["math"] = bool(enabled)


@contextlib.contextmanager
def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    """Recorded switches: tritorch picks its attention kernel itself (fused on cuda, math on cpu)
    and gives the same results either way, so these only change what the getters report."""
    saved = dict(_sdp)
    _sdp.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient, cudnn=enable_cudnn)
    try:
        yield
    finally:
        _sdp.update(saved)
