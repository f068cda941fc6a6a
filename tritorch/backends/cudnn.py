"""torch.backends.cudnn: the switches programs set, kept as plain module attributes.

tritorch runs no cuDNN (its convolutions are Triton kernels and numpy), so
``is_available()`` is False and ``version()`` is None, as in a PyTorch build without cuDNN.
``benchmark``, ``deterministic``, ``enabled`` and ``allow_tf32`` keep what a program assigns
(PyTorch's defaults: False, False, True, True) and change nothing: tritorch's kernels are
deterministic and do not autotune per call.
"""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available():
    """False: tritorch uses no cuDNN."""
    return False


def version():
    """None: no cuDNN."""
    return None


def is_acceptable(tensor):
    return False
