"""torch.nn.attention: ``SDPBackend`` and the ``sdpa_kernel`` context manager.

tritorch picks its scaled-dot-product-attention kernel itself (the fused Triton kernel on cuda,
the math path on the cpu); every backend computes the same function, so choosing one changes
nothing but what ``torch.backends.cuda.*_sdp_enabled()`` report inside the block. An empty
backend list raises, as in PyTorch.
"""
import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.IntEnum):
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Context manager: allow only ``backends`` (an SDPBackend or a list of them) inside the block."""
    from ..backends import cuda
    backends = [backends] if isinstance(backends, SDPBackend) else list(backends)
    if not backends:
        raise ValueError("At least one backend must be specified")
    with cuda.sdp_kernel(enable_flash=SDPBackend.FLASH_ATTENTION in backends,
                         enable_math=SDPBackend.MATH in backends,
                         enable_mem_efficient=SDPBackend.EFFICIENT_ATTENTION in backends,
                         enable_cudnn=SDPBackend.CUDNN_ATTENTION in backends):
        yield
