"""tritorch.backends: PyTorch's ``torch.backends`` switches, as far as they mean something here.

    torch.backends.cudnn.benchmark = True          # accepted; tritorch has no cuDNN (see cudnn)
    torch.backends.cuda.matmul.allow_tf32 = True   # = set_float32_matmul_precision("high")
    torch.backends.mps.is_available()              # False: no Apple-GPU backend

(tritorch's internal per-device dispatch lives in ``tritorch._dispatch``.)
"""
from . import cpu, cuda, cudnn, mps

__all__ = ["cpu", "cuda", "cudnn", "mps"]
