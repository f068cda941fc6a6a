"""Bernoulli(probs=None, logits=None): 0/1 outcomes with probability ``probs`` of a 1."""
import tritorch
from tritorch.tensor import Size

from .categorical import _clamp_probs
from .distribution import Distribution

__all__ = ["Bernoulli"]


class Bernoulli(Distribution):
    """``probs`` in [0, 1] or ``logits`` (log-odds), any shape (= batch_shape). Samples are floats 0./1."""
    _param_names = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.probs = probs if isinstance(probs, tritorch.Tensor) else tritorch.tensor(float(probs))
            param = self.probs
        else:
            self.logits = logits if isinstance(logits, tritorch.Tensor) else tritorch.tensor(float(logits))
            param = self.logits
        super().__init__(param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            p = self.probs.detach()
            if not bool(((p >= 0) & (p <= 1)).all()):
                self._invalid("probs", self.probs, "Interval(lower_bound=0.0, upper_bound=1.0)")

    def __getattr__(self, name):
        if name == "probs" and "logits" in self.__dict__:
            self.probs = tritorch.sigmoid(self.logits)
            return self.probs
        if name == "logits" and "probs" in self.__dict__:
            p = _clamp_probs(self.probs)
            self.logits = tritorch.log(p) - tritorch.log1p(-p)
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with tritorch.no_grad():
            return tritorch.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            v = value.detach()
            if not bool(((v == 0) | (v == 1)).all()):
                raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to "
                                 f"be within the support (Boolean()) of the distribution {self!r}, but found invalid "
                                 f"values:\n{value}")
        logits, value = tritorch.broadcast_tensors(self.logits, value.to(self.logits.dtype))
        return -tritorch.nn.functional.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return tritorch.nn.functional.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
