"""Cauchy(loc, scale): the Lorentz distribution (no mean or variance: both are nan/inf, as in PyTorch)."""
import math

import tritorch
from tritorch.tensor import Size

from .distribution import Distribution

__all__ = ["Cauchy"]


class Cauchy(Distribution):
    """``loc`` and ``scale`` (> 0) broadcast together; ``rsample`` is ``loc + scale * tan(pi (u - 1/2))``
    with u uniform in (0, 1) (gradients reach loc and scale)."""
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
    def mode(self):
        return self.loc

    def sample(self, sample_shape=Size()):
        with tritorch.no_grad():
            return self.rsample(sample_shape)

    @property
    def mean(self):
        return tritorch.full(self._extended_shape(), math.nan, dtype=self.loc.dtype, device=self.loc.device)

    @property
    def stddev(self):
        return self.variance

    @property
    def variance(self):
        return tritorch.full(self._extended_shape(), math.inf, dtype=self.loc.dtype, device=self.loc.device)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = tritorch.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + self.scale * tritorch.tan(math.pi * (u - 0.5))

    def log_prob(self, value):
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()

    def cdf(self, value):
        return tritorch.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return tritorch.tan(math.pi * (value - 0.5)) * self.scale + self.loc
