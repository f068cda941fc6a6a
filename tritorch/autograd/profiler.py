"""torch.autograd.profiler: the older spelling of tritorch.profiler (``profile``, ``record_function``)."""
from ..profiler import profile as _profile, record_function  # noqa: F401

__all__ = ["profile", "record_function"]


class profile(_profile):
    """``torch.autograd.profiler.profile(enabled=True, use_cuda=False, ...)``: see tritorch.profiler."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 **kwargs):
        super().__init__()
        self._recording = bool(enabled)

    def start(self):
        enabled = self._recording
        super().start()
        self._recording = enabled
