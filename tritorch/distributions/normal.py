"""Normal(loc, scale): the Gaussian with mean ``loc`` and standard deviation ``scale``."""
import math

import tritorch
from tritorch.tensor import Size

from .distribution import Distribution

__all__ = ["Normal"]


class Normal(Distribution):
    """``loc`` and ``scale`` (> 0), tensors or numbers, broadcast together (= batch_shape).
    ``rsample`` is ``loc + eps * scale`` (gradients reach loc and scale); ``sample`` is detached."""
    has_rsample = True
    _param_names = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=None):
        as_t = (lambda v, ref: v if isinstance(v, tritorch.Tensor) else tritorch.tensor(
            float(v), dtype=ref.dtype if isinstance(ref, tritorch.Tensor) else None,
            device=ref.device if isinstance(ref, tritorch.Tensor) else None))
        self.loc, self.scale = tritorch.broadcast_tensors(as_t(loc, scale), as_t(scale, loc))
        super().__init__(self.loc.shape, validate_args=validate_args)
        if self._validate_args and not bool((self.scale.detach() > 0).all()):
            self._invalid("scale", self.scale, "GreaterThan(lower_bound=0.0)")

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def sample(self, sample_shape=Size()):
        with tritorch.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = tritorch.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + tritorch.log(self.scale)

    def cdf(self, value):
        return 0.5 * (1 + tritorch.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))
