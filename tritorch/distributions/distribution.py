"""The Distribution base class: batch/event shapes, argument validation, sample shapes."""
import tritorch
from tritorch.tensor import Size

__all__ = ["Distribution"]


class Distribution:
    """Base class. Subclasses set ``batch_shape``/``event_shape`` through ``__init__`` and
    implement ``sample``/``log_prob``/``entropy``. ``validate_args`` (default True, as PyTorch's
    ``__debug__``) checks parameters at construction and values in ``log_prob``."""
    has_rsample = False
    _validate_default = True

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        self._validate_args = self._validate_default if validate_args is None else bool(validate_args)

    @staticmethod
    def set_default_validate_args(value):
        Distribution._validate_default = bool(value)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=Size()):
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _invalid(self, name, value, constraint):
        raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) of "
                         f"distribution {self!r} to satisfy the constraint {constraint}, but found invalid values:\n"
                         f"{value}")

    def sample_n(self, n):
        return self.sample(Size((n,)))

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler (rsample)")

    def perplexity(self):
        return tritorch.exp(self.entropy())

    def __repr__(self):
        params = ", ".join(f"{k}: {tuple(getattr(self, k).shape)}" for k in self._param_names if k in self.__dict__)
        return f"{type(self).__name__}({params})"

    _param_names = ()
