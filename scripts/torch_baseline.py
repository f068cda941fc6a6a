"""PyTorch as the side-by-side baseline of `tritorch tune SWEEP.yaml --baseline scripts/torch_baseline.py`.

tritorch itself never imports PyTorch; this script, like the benchmark scripts, does, inside the
tuner's worker process on a GPU machine. ``baseline(kernel, arrays, shape)`` returns a callable that
runs the same operation as the tritorch kernel ``kernel`` in PyTorch on the same device memory (shared
through DLPack, no copies), or None where PyTorch has no public equivalent.
"""
import torch
import torch.nn.functional as F

NAME = f"torch {torch.__version__}"


def _cross_entropy(t, s):
    logits = t["x"].detach().requires_grad_()
    return lambda: torch.autograd.grad(F.cross_entropy(logits, t["t"]), logits)


BASELINES = {
    "matmul": lambda t, s: (lambda: torch.matmul(t["a"], t["b"])),
    "softmax": lambda t, s: (lambda: torch.softmax(t["x"], -1)),
    "softmax_backward": lambda t, s: (lambda: torch.ops.aten._softmax_backward_data(t["g"], t["y"], -1, t["y"].dtype)),
    "layer_norm": lambda t, s: (lambda: F.layer_norm(t["x"], (s["cols"],), t["w"], t["b"])),
    "rms_norm": lambda t, s: (lambda: F.rms_norm(t["x"], (s["cols"],), t["w"])),
    "attention": lambda t, s: (lambda: F.scaled_dot_product_attention(t["q"], t["k"], t["v"],
                                                                      is_causal=bool(s.get("causal")))),
    "cross_entropy": _cross_entropy,
}


def baseline(kernel, arrays, shape):
    """A callable timing PyTorch's ``kernel`` on ``arrays`` (the tuner's DeviceArrays), or None."""
    make = BASELINES.get(kernel)
    if make is None:
        return None
    tensors = {k: torch.from_dlpack(v) for k, v in arrays.items() if hasattr(v, "__dlpack__")}
    return make(tensors, shape)
