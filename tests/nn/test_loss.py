"""Losses (module and functional) against numpy formulas written here; gradients; errors."""
import numpy as np
import pytest

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F
from tritorch.autograd import gradcheck

REDUCTIONS = ["none", "mean", "sum"]


def _np(t):
    return t.detach().numpy()


def _red(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _log_softmax(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def ce_ref(logits, target, weight=None, ignore_index=-100, smoothing=0.0, reduction="mean"):
    """PyTorch's definition, (N, C) logits: (1 - eps) nll + eps / C * smooth, mean over the weights of counted rows."""
    n, c = logits.shape
    logp = _log_softmax(logits, 1)
    w = np.ones(c) if weight is None else weight
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    nll = -w[t] * logp[np.arange(n), t] * keep
    smooth = -(logp * w).sum(1) * keep
    loss = (1 - smoothing) * nll + smoothing / c * smooth
    if reduction == "mean":
        return loss.sum() / (w[t] * keep).sum()
    return _red(loss, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_numpy(reduction):
    tritorch.manual_seed(0)
    x = tritorch.randn(4, 5, dtype=tritorch.float64, requires_grad=True)
    y = tritorch.randn(4, 5, dtype=tritorch.float64) * 2
    d = _np(x) - _np(y)
    a = np.abs(d)
    cases = [(nn.MSELoss(reduction=reduction), d ** 2), (nn.L1Loss(reduction=reduction), a),
             (nn.SmoothL1Loss(reduction=reduction, beta=0.5), np.where(a < 0.5, 0.5 * d ** 2 / 0.5, a - 0.25)),
             (nn.HuberLoss(reduction=reduction, delta=0.7), np.where(a < 0.7, 0.5 * d ** 2, 0.7 * (a - 0.35)))]
    for module, want in cases:
        np.testing.assert_allclose(_np(module(x, y)), _red(want, reduction), rtol=1e-10)
        assert gradcheck(lambda x: module(x, y), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,smoothing", [(False, 0.0), (True, 0.0), (False, 0.1), (True, 0.25)])
def test_cross_entropy_matches_pytorch_definition(reduction, weighted, smoothing):
    tritorch.manual_seed(1)
    x = tritorch.randn(6, 5, dtype=tritorch.float64, requires_grad=True)
    t = tritorch.tensor([0, 4, -100, 2, 2, 1])
    w = tritorch.rand(5, dtype=tritorch.float64) + 0.5 if weighted else None
    loss = nn.CrossEntropyLoss(weight=w, reduction=reduction, label_smoothing=smoothing)(x, t)
    want = ce_ref(_np(x), _np(t), None if w is None else _np(w), -100, smoothing, reduction)
    np.testing.assert_allclose(_np(loss), want, rtol=1e-10)
    assert gradcheck(lambda x: F.cross_entropy(x, t, w, reduction=reduction, label_smoothing=smoothing), (x,))


def test_cross_entropy_spatial_inputs_and_unbatched():
    tritorch.manual_seed(2)
    x = tritorch.randn(2, 4, 3, 2, dtype=tritorch.float64, requires_grad=True)
    t = tritorch.randint(0, 4, (2, 3, 2))
    flat = _np(x).transpose(0, 2, 3, 1).reshape(-1, 4)
    np.testing.assert_allclose(_np(F.cross_entropy(x, t)), ce_ref(flat, _np(t).reshape(-1)), rtol=1e-10)
    per = F.cross_entropy(x, t, reduction="none")
    assert per.shape == (2, 3, 2)
    np.testing.assert_allclose(_np(per).reshape(-1), ce_ref(flat, _np(t).reshape(-1), reduction="none"), rtol=1e-10)
    assert gradcheck(lambda x: F.cross_entropy(x, t, ignore_index=1), (x,))
    v = tritorch.randn(5, dtype=tritorch.float64)
    np.testing.assert_allclose(float(F.cross_entropy(v, tritorch.tensor(3))), -_log_softmax(_np(v), 0)[3], rtol=1e-12)


def test_cross_entropy_probability_targets():
    tritorch.manual_seed(3)
    x = tritorch.randn(4, 3, dtype=tritorch.float64, requires_grad=True)
    p = tritorch.softmax(tritorch.randn(4, 3, dtype=tritorch.float64), 1)
    w = tritorch.tensor([1.0, 2.0, 0.5], dtype=tritorch.float64)
    q = _np(p) * 0.8 + 0.2 / 3
    want = -(_log_softmax(_np(x), 1) * q * _np(w)).sum(1).mean()
    np.testing.assert_allclose(float(F.cross_entropy(x, p, w, label_smoothing=0.2)), want, rtol=1e-10)
    assert gradcheck(lambda x: F.cross_entropy(x, p, w, label_smoothing=0.2), (x,))


def test_cross_entropy_is_stable_for_huge_logits():
    x = tritorch.tensor([[1e4, 0.0, -1e4], [5e3, 5e3, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, tritorch.tensor([1, 0]), reduction="none")
    np.testing.assert_allclose(_np(loss), [1e4, np.log(2.0)], rtol=1e-6)
    loss.sum().backward()
    assert bool(x.grad.isfinite().all())
    np.testing.assert_allclose(_np(x.grad), [[1, -1, 0], [-0.5, 0.5, 0]], atol=1e-6)


def test_cross_entropy_errors():
    x = tritorch.randn(3, 4)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)"):
        F.cross_entropy(x, tritorch.tensor([0, 1]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(x, tritorch.tensor([0, 7, 1]))
    with pytest.raises(ValueError, match="bogus is not a valid value for reduction"):
        F.cross_entropy(x, tritorch.tensor([0, 1, 1]), reduction="bogus")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_numpy(reduction):
    tritorch.manual_seed(4)
    x = tritorch.randn(5, 3, dtype=tritorch.float64, requires_grad=True)
    t = tritorch.tensor([0, 2, 1, -100, 2])
    w = tritorch.tensor([0.5, 1.0, 2.0], dtype=tritorch.float64)
    want = ce_ref(np.log(np.exp(_np(x)) / np.exp(_np(x)).sum(1, keepdims=True)), _np(t), _np(w), reduction=reduction)
    got = nn.NLLLoss(weight=w, reduction=reduction)(F.log_softmax(x, 1), t)
    np.testing.assert_allclose(_np(got), want, rtol=1e-10)
    assert gradcheck(lambda x: F.nll_loss(x, t, w, reduction=reduction), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_losses(reduction):
    tritorch.manual_seed(5)
    z = tritorch.randn(4, 3, dtype=tritorch.float64, requires_grad=True)
    y = (tritorch.rand(4, 3, dtype=tritorch.float64) > 0.5).double()
    pw = tritorch.tensor([1.0, 2.0, 0.5], dtype=tritorch.float64)
    p = 1 / (1 + np.exp(-_np(z)))
    yn = _np(y)
    bce = -(yn * np.log(p) + (1 - yn) * np.log(1 - p))
    np.testing.assert_allclose(_np(nn.BCELoss(reduction=reduction)(z.sigmoid(), y)), _red(bce, reduction), rtol=1e-9)
    weighted = -(_np(pw) * yn * np.log(p) + (1 - yn) * np.log(1 - p))
    got = nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=pw)(z, y)
    np.testing.assert_allclose(_np(got), _red(weighted, reduction), rtol=1e-9)
    assert gradcheck(lambda z: F.binary_cross_entropy_with_logits(z, y, pos_weight=pw, reduction=reduction), (z,))
    assert gradcheck(lambda z: F.binary_cross_entropy(z.sigmoid(), y, reduction=reduction), (z,))


def test_bce_edge_cases():
    big = tritorch.tensor([1e4, -1e4, 0.0], requires_grad=True)
    y = tritorch.tensor([0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(big, y, reduction="none")
    np.testing.assert_allclose(_np(loss), [1e4, 1e4, np.log(2.0)], rtol=1e-6)
    assert float(F.binary_cross_entropy(tritorch.tensor([0.0]), tritorch.tensor([1.0]))) == 100.0  # log clamp
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(tritorch.tensor([1.5]), tritorch.tensor([1.0]))
    with pytest.raises(ValueError, match="Target size .* must be the same as input size"):
        F.binary_cross_entropy_with_logits(tritorch.zeros(3), tritorch.zeros(3, 1))


@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_numpy(reduction, log_target):
    tritorch.manual_seed(6)
    x = tritorch.log_softmax(tritorch.randn(3, 4, dtype=tritorch.float64), 1).requires_grad_()
    q = tritorch.softmax(tritorch.randn(3, 4, dtype=tritorch.float64), 1)
    if not log_target:  # zeros in the target contribute 0 (with log targets, exp(-inf) * -inf is NaN, as in PyTorch)
        q = tritorch.where(q < 0.1, tritorch.zeros(()).double(), q)
    qn = _np(q)
    pointwise = np.where(qn > 0, qn * (np.log(np.where(qn > 0, qn, 1)) - _np(x)), 0.0)
    target = q.log() if log_target else q
    got = nn.KLDivLoss(reduction=reduction, log_target=log_target)(x, target)
    want = {"none": pointwise, "sum": pointwise.sum(), "batchmean": pointwise.sum() / 3}[reduction]
    np.testing.assert_allclose(_np(got), want, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda x: F.kl_div(x, target, reduction=reduction, log_target=log_target), (x,))


def test_cosine_embedding_loss_and_weight_buffers():
    a, b = tritorch.tensor([[1.0, 0.0], [1.0, 1.0]]), tritorch.tensor([[0.0, 1.0], [1.0, 1.0]])
    loss = nn.CosineEmbeddingLoss(margin=-0.5, reduction="none")(a, b, tritorch.tensor([1, -1]))
    np.testing.assert_allclose(_np(loss), [1.0, 1.5], rtol=1e-6)
    m = nn.CrossEntropyLoss(weight=tritorch.ones(3))
    assert list(m.state_dict()) == ["weight"] and repr(m) == "CrossEntropyLoss()"
    assert nn.MSELoss(size_average=False).reduction == "sum"


@pytest.mark.parametrize("dtype", [tritorch.float32, tritorch.float64, tritorch.float16])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_fused_backward_equals_the_composed_formula(dtype, weighted, smoothing):
    """The CPU's one-primitive backward against the same loss differentiated op by op (create_graph
    takes the composed path): weights, an ignored row, label smoothing, a near-certain row (p ~ 1)."""
    rng = np.random.default_rng(7)
    x = tritorch.tensor(rng.standard_normal((6, 5)) * 3, dtype=dtype)
    x.data[2, 1] = 40.0  # softmax ~ 1 at the target: p - 1 must not cancel
    target = tritorch.tensor([0, 1, -100, 4, 2, 1]).clone()
    target[2] = 1
    target[0] = -100
    weight = tritorch.tensor(rng.random(5) + 0.5, dtype=dtype) if weighted else None
    up = tritorch.tensor(rng.standard_normal(), dtype=tritorch.float32)
    grads = []
    for create_graph in (False, True):
        leaf = x.clone().requires_grad_()
        loss = F.cross_entropy(leaf, target, weight=weight, label_smoothing=smoothing)
        (g,) = tritorch.autograd.grad(loss * up.to(dtype), [leaf], create_graph=create_graph)
        grads.append(g.detach().to(tritorch.float64).numpy())
    tol = 2e-3 if dtype is tritorch.float16 else 1e-6
    np.testing.assert_allclose(grads[0], grads[1], rtol=tol, atol=tol)
    assert not grads[0][0].any()  # the ignored row


@pytest.mark.parametrize("dtype", [tritorch.float32, tritorch.float64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("ignored", [True, False])
def test_cross_entropy_reduced_in_one_node_equals_rows_then_reduce(dtype, weighted, smoothing, reduction, ignored):
    """The one-node mean/sum (CPU, float32/64) gives the values and gradients, bit for bit, of the
    per-row losses reduced by Tensor ops, as before it existed; every row ignored gives NaN. (No
    weight and no smoothing take a shorter path of their own, with and without an ignored row.)"""
    rng = np.random.default_rng(11)
    x0 = tritorch.tensor(rng.standard_normal((7, 5)) * 2, dtype=dtype)
    x0[5] = -float("inf")  # a row of -inf: NaN loss and gradient on both paths
    target = tritorch.tensor([0, 4, -100 if ignored else 1, 2, 2, 1, 3])
    weight = tritorch.tensor(rng.random(5) + 0.5, dtype=dtype) if weighted else None
    x1, x2 = x0.clone().requires_grad_(), x0.clone().requires_grad_()
    fused = F.cross_entropy(x1, target, weight=weight, label_smoothing=smoothing, reduction=reduction)
    rows = F.cross_entropy(x2, target, weight=weight, label_smoothing=smoothing, reduction="none")
    keep = target != -100
    if reduction == "sum":
        ref = rows.sum()
    elif weighted:
        ref = rows.sum() / (weight[tritorch.where(keep, target, 0)] * keep.to(dtype)).sum()
    else:
        ref = rows.sum() / keep.sum().to(dtype)
    assert fused.dtype is dtype and fused.shape == () and fused.grad_fn.name() == "NllLossBackward0"
    np.testing.assert_array_equal(fused.detach().numpy(), ref.detach().numpy())
    fused.backward(tritorch.tensor(1.7, dtype=dtype))
    ref.backward(tritorch.tensor(1.7, dtype=dtype))
    np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())
    assert np.isnan(x1.grad.numpy()[5]).all() and not np.isnan(x1.grad.numpy()[:5]).any()
    all_ignored = F.cross_entropy(x0, tritorch.full((7,), -100), weight=weight, reduction=reduction)
    assert (all_ignored.isnan() if reduction == "mean" else all_ignored == 0).item()
