"""kl_divergence(p, q) for the pairs tritorch.distributions has, with PyTorch's formulas."""
import math

import tritorch

from .bernoulli import Bernoulli
from .categorical import Categorical
from .normal import Normal

__all__ = ["kl_divergence"]


def _normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


def _categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = tritorch.where(q.probs == 0, tritorch.full_like(t, math.inf), t)
    t = tritorch.where(p.probs == 0, tritorch.zeros_like(t), t)
    return t.sum(-1)


def _bernoulli_bernoulli(p, q):
    softplus = tritorch.nn.functional.softplus
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = tritorch.where(q.probs == 0, tritorch.full_like(t1, math.inf), t1)
    t1 = tritorch.where(p.probs == 0, tritorch.zeros_like(t1), t1)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = tritorch.where(q.probs == 1, tritorch.full_like(t2, math.inf), t2)
    t2 = tritorch.where(p.probs == 1, tritorch.zeros_like(t2), t2)
    return t1 + t2


_KL = {(Normal, Normal): _normal_normal, (Categorical, Categorical): _categorical_categorical,
       (Bernoulli, Bernoulli): _bernoulli_bernoulli}


def kl_divergence(p, q):
    """KL(p || q) per batch element."""
    fn = _KL.get((type(p), type(q)))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
                                  f"{type(q).__name__}")
    return fn(p, q)
