"""torch.backends.mps: Apple's Metal backend, which tritorch does not have."""


def is_available():
    """False: tritorch has no MPS device."""
    return False


def is_built():
    """False: tritorch is not built with MPS."""
    return False
