"""torch.distributed.algorithms: only the activation-checkpoint wrapper's names, not implemented in tritorch."""
