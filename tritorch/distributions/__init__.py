"""torch.distributions: ``Categorical``, ``Bernoulli``, ``Normal`` and ``kl_divergence`` between
them -- what policy-gradient, VAE and sampling code uses -- with PyTorch's parameterisations,
shapes, validation and formulas. ``log_prob`` and ``entropy`` are tensor ops (differentiable);
``Normal.rsample`` is reparameterised; ``sample`` draws without gradients."""
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence
from .normal import Normal

__all__ = ["Distribution", "Categorical", "Bernoulli", "Normal", "kl_divergence"]
