"""torch.backends.cpu."""
import platform


def get_cpu_capability():
    """The machine's architecture name (``'x86_64'``, ``'aarch64'``): tritorch's CPU path is numpy,
    which picks its own SIMD level, so there is no capability level of its own to report."""
    return platform.machine() or "unknown"
