"""OneHotCategorical(probs=None, logits=None): Categorical whose samples are one-hot vectors."""
import tritorch
from tritorch.tensor import Size

from .categorical import Categorical
from .distribution import Distribution

__all__ = ["OneHotCategorical"]


class OneHotCategorical(Distribution):
    """Samples are one-hot float vectors over the last dimension of probs/logits (event_shape is
    (num_classes,)); log_prob/entropy are Categorical's at the hot index."""
    _param_names = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return tritorch.nn.functional.one_hot(self.probs.argmax(-1), self.param_shape[-1]).to(self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        index = self._categorical.sample(sample_shape)
        return tritorch.nn.functional.one_hot(index, self.param_shape[-1]).to(self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            ok = ((value == 0) | (value == 1)).all() and (value.sum(-1) == 1).all()
            if not bool(ok):
                raise ValueError("Expected value argument to be within the support (OneHot()) of the distribution "
                                 f"{self!r}, but found invalid values:\n{value}")
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def __repr__(self):
        return f"OneHotCategorical({'probs' if 'probs' in self._categorical.__dict__ else 'logits'}: " \
               f"{tuple(self.param_shape)})"
