"""torch.distributions: ``Categorical``, ``Bernoulli``, ``Normal`` and ``kl_divergence`` between
them -- what policy-gradient, VAE and sampling code uses -- with PyTorch's parameterisations,
shapes, validation and formulas. ``log_prob`` and ``entropy`` are tensor ops (differentiable);
``Normal.rsample`` is reparameterised; ``sample`` draws without gradients."""
from .bernoulli import Bernoulli
from .categorical import Categorical
from .cauchy import Cauchy
from .distribution import Distribution
from .kl import kl_divergence
from .normal import Normal
from .one_hot_categorical import OneHotCategorical

__all__ = ["Distribution", "Categorical", "Bernoulli", "Normal", "Cauchy", "OneHotCategorical", "kl_divergence"]
