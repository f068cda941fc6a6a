"""tritorch.special: PyTorch's torch.special names that tritorch has (each the same function as its
torch.* spelling)."""
import tritorch as _t

__all__ = ["erf", "erfc", "erfinv", "expm1", "exp2", "log1p", "logit", "xlogy", "expit", "sinc", "round",
           "logsumexp", "softmax", "log_softmax"]

erf, erfc, erfinv, expm1, exp2, log1p = _t.erf, _t.erfc, _t.erfinv, _t.expm1, _t.exp2, _t.log1p
logit, xlogy, expit, sinc, round = _t.logit, _t.xlogy, _t.sigmoid, _t.sinc, _t.round  # noqa: A001
logsumexp = _t.logsumexp


def softmax(input, dim, *, dtype=None):
    return _t.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _t.log_softmax(input, dim, dtype=dtype)
