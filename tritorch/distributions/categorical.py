"""Categorical(probs=None, logits=None): K categories along the last dimension."""
import tritorch
from tritorch.tensor import Size

from .distribution import Distribution

__all__ = ["Categorical"]


def _clamp_probs(probs):
    eps = tritorch.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


class Categorical(Distribution):
    """``probs``: (..., K), non-negative, normalised along the last dim; or ``logits`` (..., K),
    unnormalised log-probabilities (normalised with logsumexp). Samples are int64 indices of shape
    ``sample_shape + batch_shape`` (batch_shape = probs.shape[:-1])."""
    _param_names = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            param = self.logits
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)
        if self._validate_args and probs is not None:
            p = self.probs.detach()
            if not bool(((p >= 0) & (p <= 1)).all()) or not bool(((p.sum(-1) - 1).abs() < 1e-6).all()):
                self._invalid("probs", probs, "Simplex()")
        if self._validate_args and logits is not None and bool(logits.detach().isnan().any()):
            self._invalid("logits", logits, "IndependentConstraint(Real(), 1)")

    def __getattr__(self, name):     # probs <-> logits, computed on first use (as PyTorch's lazy_property)
        if name == "probs" and "logits" in self.__dict__:
            self.probs = tritorch.softmax(self.logits, dim=-1)
            return self.probs
        if name == "logits" and "probs" in self.__dict__:
            self.logits = tritorch.log(_clamp_probs(self.probs))
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def param_shape(self):
        return self.__dict__.get("probs", self.__dict__.get("logits")).shape

    @property
    def mean(self):
        return tritorch.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype, device=self.probs.device)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return self.mean

    def sample(self, sample_shape=Size()):
        sample_shape = Size(sample_shape)
        with tritorch.no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            n = 1
            for s in sample_shape:
                n *= s
            samples = tritorch.multinomial(probs_2d, n, True).T     # (n, batch)
        return samples.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            v = value.detach()
            if not bool(((v >= 0) & (v < self._num_events) & (v == v.floor())).all()):
                raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to "
                                 f"be within the support (IntegerInterval(lower_bound=0, upper_bound="
                                 f"{self._num_events - 1})) of the distribution {self!r}, but found invalid values:"
                                 f"\n{value}")
        value = value.long().unsqueeze(-1)
        value, log_pmf = tritorch.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        min_real = tritorch.finfo(self.logits.dtype).min
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        param = self.__dict__.get("probs", self.__dict__.get("logits"))
        values = tritorch.arange(self._num_events, device=param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
