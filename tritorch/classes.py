"""torch.classes: TorchScript custom C++ classes. tritorch loads no native extension libraries."""
__all__ = ["load_library"]


def load_library(path):
    """Raises NotImplementedError: tritorch does not load compiled PyTorch extensions (they are built
    against PyTorch's C++ API, which tritorch does not have)."""
    raise NotImplementedError(f"torch.classes.load_library({path!r}): tritorch cannot load compiled PyTorch "
                              "extension libraries (they link against PyTorch's C++ API); port the custom op to "
                              "Python/Triton or run this part in PyTorch")
