"""tritorch.utils.tensorboard: PyTorch's ``SummaryWriter`` on tensorboardX (the `tensorboard` extra).

    from tritorch.utils.tensorboard import SummaryWriter
    with SummaryWriter() as writer:                    # runs/Dec02_18-30-00_myhost
        writer.add_scalar("loss", loss, step)          # tritorch tensors, numpy or Python numbers

View with ``tensorboard --logdir runs`` (TensorBoard itself is a separate install: pip install tensorboard).
"""
from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
