"""Shared helpers of the example programs: identical initial weights for tritorch and PyTorch, and
the loss checks. Each program is written once, against a `torch` module passed in, so the same code
runs with `import tritorch as torch` and with PyTorch itself."""
import numpy as np


def weights(model):
    """state_dict as float64/int numpy arrays (from either library)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def load_weights(torch, model, state):
    """Copy numpy arrays into a model built with `torch`, keeping each tensor's dtype and device."""
    own = model.state_dict()
    with torch.no_grad():
        for k, v in state.items():
            own[k].copy_(torch.tensor(v, dtype=own[k].dtype))


def assert_falls(losses, factor=0.9):
    """The mean of the last quarter is below factor times the mean of the first quarter."""
    q = max(1, len(losses) // 4)
    first, last = float(np.mean(losses[:q])), float(np.mean(losses[-q:]))
    assert last < factor * first, f"loss did not fall: first {first:.4f}, last {last:.4f} ({losses})"
