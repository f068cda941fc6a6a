"""Inputs that used to give a silently wrong answer (or an unclear error), each checked against what
PyTorch does: the value it returns or the error it raises.

Every case is a function of the module (`tritorch` or `torch`) and a device. Its expected outcome is
written here as a literal (taken from PyTorch 2.13 on the CPU); `test_pytorch_agrees` re-checks each
literal against PyTorch itself when it is installed, and `test_tritorch_matches` checks tritorch on
the CPU and on the emulated cuda device. On cuda, an index out of range cannot raise at the call
without a synchronisation: the kernel flags it and the next host read raises DeviceIndexError
(an IndexError and a RuntimeError), PyTorch's device-side assert in effect.
"""
import math

import numpy as np
import pytest

import tritorch
from tritorch import cuda
from tritorch.cuda import DeviceIndexError

pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:Initializing zero-element tensors:UserWarning")]

inf, nan = float("inf"), float("nan")
DEVICES = ["cpu", "cuda"]


class Raises:
    """An expected error: its type and its message (the whole of it)."""

    def __init__(self, kind, message, deferred_on_cuda=False, prefix=False):
        self.kind, self.message, self.deferred_on_cuda, self.prefix = kind, message, deferred_on_cuda, prefix

    def __repr__(self):
        return f"{self.kind.__name__}({self.message!r})"


def _host(out):
    """A result as plain Python: tensors -> lists (or a number), tuples element by element."""
    if isinstance(out, (tuple, list)):
        return [_host(o) for o in out]
    if hasattr(out, "tolist"):
        return out.detach().cpu().tolist()
    return out


def _same(got, want):
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, float):
        return got == want or (math.isfinite(want) and abs(got - want) <= 1e-3 * max(1.0, abs(want)))
    return got == want


def _check(fn, m, device, want):
    if isinstance(want, Raises):
        if device == "cuda" and want.deferred_on_cuda:
            out = fn(m, device)  # the kernel runs and flags the bad index; the next host read raises
            with pytest.raises(DeviceIndexError, match="index out of range on the device"):
                _host(out)
            return
        with pytest.raises(want.kind) as info:
            fn(m, device)
        got = str(info.value)[:len(want.message)] if want.prefix else str(info.value)
        assert got == want.message, (str(info.value), want.message)
        assert type(info.value).__name__ == want.kind.__name__
        return
    got = _host(fn(m, device))
    assert _same(got, want), (got, want)


def t(m, device, data, dtype=None):
    return m.tensor(data, dtype=dtype or m.float32, device=device)


def F(m):
    return m.nn.functional


def ce(m, device, row, target, smoothing=0.0, dtype=None):
    x = t(m, device, [row], dtype)
    return F(m).cross_entropy(x, m.tensor([target], device=device), label_smoothing=smoothing)


def ce_grad(m, device, row, target, smoothing=0.0):
    x = t(m, device, [row]).requires_grad_(True)
    F(m).cross_entropy(x, m.tensor([target], device=device), label_smoothing=smoothing).backward()
    return x.grad


def idx(m, device, values):
    return m.tensor(values, device=device)


X3 = [0.0, 1.0, 2.0]
OUT_OF_BOUNDS = "index {} is out of bounds for dimension {} with size {}"

CASES = {
    # -- cross_entropy: -inf/+inf logits (the smoothing term was 0 * -inf = NaN on cuda) ------------------
    "ce -inf logit": (lambda m, d: ce(m, d, [-inf, 0.0, 0.0], 1), 0.6931471824645996),
    "ce -inf logit grad": (lambda m, d: ce_grad(m, d, [-inf, 0.0, 0.0], 1), [[0.0, -0.5, 0.5]]),
    "ce -inf logit on target": (lambda m, d: ce(m, d, [-inf, 0.0, 0.0], 0), inf),
    "ce -inf logit smoothing": (lambda m, d: ce(m, d, [-inf, 0.0, 0.0], 1, 0.1), inf),
    "ce -inf logit smoothing grad": (lambda m, d: ce_grad(m, d, [-inf, 0.0, 0.0], 1, 0.1),
                                     [[-0.0333333, -0.4333333, 0.4666667]]),
    "ce +inf logit": (lambda m, d: ce(m, d, [inf, 0.0, 0.0], 1), nan),
    "ce +inf logit grad": (lambda m, d: ce_grad(m, d, [inf, 0.0, 0.0], 1), [[nan, nan, nan]]),
    "ce row of -inf": (lambda m, d: ce(m, d, [-inf, -inf, -inf], 0), nan),
    "ce -inf float16": (lambda m, d: ce(m, d, [-inf, 0.0, 0.0], 1, dtype=m.float16), 0.6933594),
    "ce -inf rows none": (lambda m, d: F(m).cross_entropy(t(m, d, [[-inf, 0.0, 0.0], [1.0, 2.0, 3.0]]),
                                                          idx(m, d, [1, 2]), reduction="none"),
                          [0.6931472, 0.4076059]),
    # -- integer logits -------------------------------------------------------------------------------
    "ce long logits": (lambda m, d: F(m).cross_entropy(m.ones(2, 3, dtype=m.long, device=d), idx(m, d, [1, 0])),
                       Raises(NotImplementedError, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'")),
    "ce int logits": (lambda m, d: F(m).cross_entropy(m.ones(2, 3, dtype=m.int32, device=d), idx(m, d, [1, 0])),
                      Raises(NotImplementedError, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Int'")),
    "ce long logits 3d": (lambda m, d: F(m).cross_entropy(m.ones(2, 3, 4, dtype=m.long, device=d),
                                                          m.ones(2, 4, dtype=m.long, device=d)),
                          Raises(NotImplementedError, "\"log_softmax_kernel_impl\" not implemented for 'Long'")),
    "nll long input": (lambda m, d: F(m).nll_loss(m.ones(2, 3, dtype=m.long, device=d), idx(m, d, [1, 0])),
                       Raises(NotImplementedError, "\"nll_loss_out_frame\" not implemented for 'Long'")),
    "softmax long": (lambda m, d: m.softmax(m.ones(3, dtype=m.long, device=d), 0),
                     Raises(NotImplementedError, "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'")),
    "log_softmax long dim 0": (lambda m, d: m.log_softmax(m.ones(2, 3, dtype=m.long, device=d), 0),
                               Raises(NotImplementedError, "\"log_softmax_kernel_impl\" not implemented for 'Long'")),
    "softmax long with dtype": (lambda m, d: m.softmax(m.ones(3, dtype=m.long, device=d), 0, dtype=m.float32),
                                [1 / 3, 1 / 3, 1 / 3]),
    # -- softmax with +inf (max subtraction gives inf - inf = NaN in PyTorch) -----------------------------
    "softmax +inf": (lambda m, d: m.softmax(t(m, d, [inf, 1.0]), 0), [nan, nan]),
    "softmax +inf float64": (lambda m, d: m.softmax(t(m, d, [inf, 1.0], m.float64), 0), [nan, nan]),
    "softmax +inf float16": (lambda m, d: m.softmax(t(m, d, [inf, 1.0], m.float16), 0), [nan, nan]),
    "log_softmax +inf": (lambda m, d: m.log_softmax(t(m, d, [[inf, 1.0], [-inf, 1.0]]), 1),
                         [[nan, nan], [-inf, 0.0]]),
    "softmax row of -inf": (lambda m, d: m.softmax(t(m, d, [-inf, -inf]), 0), [nan, nan]),
    "logsumexp +inf": (lambda m, d: m.logsumexp(t(m, d, [inf, 1.0]), 0), inf),
    # -- indices outside [0, size): PyTorch's gather/scatter/index_select/index_add take no negatives ------
    "gather -1": (lambda m, d: t(m, d, X3).gather(0, idx(m, d, [-1])),
                  Raises(RuntimeError, OUT_OF_BOUNDS.format(-1, 0, 3), True)),
    "gather 3": (lambda m, d: t(m, d, X3).gather(0, idx(m, d, [0, 3])),
                 Raises(RuntimeError, OUT_OF_BOUNDS.format(3, 0, 3), True)),
    "gather -1 dim 1": (lambda m, d: t(m, d, [[0.0, 1.0], [2.0, 3.0]]).gather(1, idx(m, d, [[0], [-1]])),
                        Raises(RuntimeError, OUT_OF_BOUNDS.format(-1, 1, 2), True)),
    "scatter -1": (lambda m, d: t(m, d, X3).scatter(0, idx(m, d, [-1]), t(m, d, [5.0])),
                   Raises(RuntimeError, OUT_OF_BOUNDS.format(-1, 0, 3), True)),
    "scatter value -1": (lambda m, d: t(m, d, X3).scatter(0, idx(m, d, [-1]), 5.0),
                         Raises(RuntimeError, OUT_OF_BOUNDS.format(-1, 0, 3), True)),
    "scatter_add -1": (lambda m, d: t(m, d, X3).scatter_add(0, idx(m, d, [-1]), t(m, d, [5.0])),
                       Raises(RuntimeError, OUT_OF_BOUNDS.format(-1, 0, 3), True)),
    "scatter_add 3": (lambda m, d: t(m, d, X3).scatter_add(0, idx(m, d, [3]), t(m, d, [5.0])),
                      Raises(RuntimeError, OUT_OF_BOUNDS.format(3, 0, 3), True)),
    "index_select -1": (lambda m, d: t(m, d, X3).index_select(0, idx(m, d, [-1])),
                        Raises(IndexError, "index out of range in self", True)),
    "index_select 3": (lambda m, d: t(m, d, X3).index_select(0, idx(m, d, [3])),
                       Raises(IndexError, "index out of range in self", True)),
    "index_add -1": (lambda m, d: t(m, d, X3).index_add(0, idx(m, d, [-1]), t(m, d, [5.0])),
                     Raises(IndexError, "index out of range in self", True)),
    "index_add -4": (lambda m, d: t(m, d, X3).index_add(0, idx(m, d, [-4]), t(m, d, [5.0])),
                     Raises(IndexError, "index out of range in self", True)),
    "take_along_dim None -1": (lambda m, d: m.take_along_dim(t(m, d, X3), idx(m, d, [-1])),
                               Raises(RuntimeError, OUT_OF_BOUNDS.format(-1, 0, 3), True)),
    "take 3": (lambda m, d: t(m, d, X3).take(idx(m, d, [3])),
               Raises(IndexError, "out of range: tried to access index 3 on a tensor of 3 elements.", True)),
    "getitem 3": (lambda m, d: t(m, d, X3)[idx(m, d, [3])],
                  Raises(IndexError, OUT_OF_BOUNDS.format(3, 0, 3), True)),
    "mask of the wrong shape": (
        lambda m, d: m.ones(2, 4, 5, device=d)[:, m.ones(3, dtype=m.bool, device=d)],
        Raises(IndexError, "The shape of the mask [3] at index 0 does not match the shape of the indexed tensor "
                           "[2, 4, 5] at index 1")),
    "mask of the wrong shape after an int": (
        lambda m, d: m.ones(2, 4, 5, device=d)[0, m.ones(5, dtype=m.bool, device=d)],
        Raises(IndexError, "The shape of the mask [5] at index 0 does not match the shape of the indexed tensor "
                           "[4, 5] at index 0")),
    "setitem mask of the wrong shape": (
        lambda m, d: m.ones(2, 4, device=d).__setitem__(m.ones(2, 3, dtype=m.bool, device=d), 0.0),
        Raises(IndexError, "The shape of the mask [2, 3] at index 1 does not match the shape of the indexed tensor "
                           "[2, 4] at index 1")),
    "index arrays that do not broadcast": (
        lambda m, d: m.ones(2, 4, device=d)[idx(m, d, [0, 1]), idx(m, d, [0, 1, 2])],
        Raises(IndexError, "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]")),
    "too many indices": (lambda m, d: m.ones(2, 3, device=d)[idx(m, d, [0]), 0, 0],
                         Raises(IndexError, "too many indices for tensor of dimension 2")),
    "gather float index": (lambda m, d: t(m, d, X3).gather(0, t(m, d, [0.0])),
                           Raises(RuntimeError, "gather(): Expected dtype int32/int64 for index")),
    "index_select float index": (lambda m, d: t(m, d, X3).index_select(0, t(m, d, [0.0])),
                                 Raises(RuntimeError, "index_select(): Expected dtype int32 or int64 for index")),
    "index_select 2-d index": (lambda m, d: t(m, d, X3).index_select(0, idx(m, d, [[0]])),
                               Raises(IndexError, "index_select(): Index is supposed to be a vector")),
    "index_add float index": (lambda m, d: t(m, d, X3).index_add(0, t(m, d, [0.0]), t(m, d, [1.0])),
                              Raises(RuntimeError, "index_add_(): Expected dtype int32/int64 for index but got: "
                                                   "Float")),
    "where with a float condition": (lambda m, d: m.where(m.ones(2, device=d), 1.0, 0.0),
                                     Raises(RuntimeError, "where expected condition to be a boolean tensor, but got a "
                                                          "tensor with dtype Float")),
    "one_hot -1": (lambda m, d: F(m).one_hot(idx(m, d, [-1, 1]), 3),
                   Raises(RuntimeError, "Class values must be non-negative.")),
    # where PyTorch does count negative indices from the end, they still work
    "take_along_dim dim -1": (lambda m, d: m.take_along_dim(t(m, d, [X3]), idx(m, d, [[-1, -3]]), 1), [[2.0, 0.0]]),
    "take -1": (lambda m, d: t(m, d, X3).take(idx(m, d, [-1])), [2.0]),
    "getitem -3": (lambda m, d: t(m, d, X3)[idx(m, d, [-3, 2])], [0.0, 2.0]),
    # -- float16 reductions: sum and divide in float32, as PyTorch ----------------------------------------
    "mean float16 past 65504": (lambda m, d: m.ones(4, 20000, dtype=m.float16, device=d).mean(), 1.0),
    "mean float16 dim past 65504": (lambda m, d: m.ones(2, 70000, dtype=m.float16, device=d).mean(1), [1.0, 1.0]),
    "sum float16 past 65504": (lambda m, d: m.ones(4, 20000, dtype=m.float16, device=d).sum(), inf),
    "mean bfloat16": (lambda m, d: (m.arange(1000, device=d) % 7).to(m.bfloat16).mean(), 3.0),
    "var float16 squares past 65504": (lambda m, d: (m.arange(4000, device=d) % 2 * 300).half().var(),
                                       22505.625),
    "std float16": (lambda m, d: (m.arange(4000, device=d) % 2 * 300).half().std(), 150.0),
    # -- shapes: sizes PyTorch refuses -----------------------------------------------------------------------
    "split -1": (lambda m, d: m.arange(4, device=d).split(-1),
                 Raises(RuntimeError, "split expects split_size be non-negative, but got split_size=-1")),
    "split 0": (lambda m, d: m.arange(4, device=d).split(0),
                Raises(RuntimeError, "split_size can only be 0 if dimension size is 0, but got dimension size of 4")),
    "split sizes negative": (lambda m, d: m.arange(4, device=d).split([-1, 5]),
                             Raises(RuntimeError, "split_with_sizes expects split_sizes have only non-negative "
                                                  "entries, but got split_sizes=[-1, 5]")),
    "split empty": (lambda m, d: [tuple(p.shape) for p in m.ones(0, device=d).split(2)], [[0]]),
    "chunk empty": (lambda m, d: [tuple(p.shape) for p in m.ones(0, device=d).chunk(2)], [[0], [0]]),
    "chunk empty dim 1": (lambda m, d: [tuple(p.shape) for p in m.ones(2, 0, device=d).chunk(3, 1)],
                          [[2, 0], [2, 0], [2, 0]]),
    "chunk 5 of 4": (lambda m, d: [tuple(p.shape) for p in m.ones(4, device=d).chunk(5)], [[1], [1], [1], [1]]),
    "chunk -1": (lambda m, d: m.ones(4, device=d).chunk(-1),
                 Raises(RuntimeError, "chunk expects `chunks` to be greater than 0, got: -1")),
    "chunk 2.0": (lambda m, d: m.ones(4, device=d).chunk(2.0),
                  Raises(TypeError, "chunk(): argument 'chunks' (position 1) must be int, not float")),
    "tensor_split 0": (lambda m, d: m.ones(4, device=d).tensor_split(0),
                       Raises(RuntimeError, "number of sections must be larger than 0, got 0")),
    "tensor_split backwards": (lambda m, d: [p.tolist() for p in m.arange(4, device=d).tensor_split([3, 1])],
                               [[0, 1, 2], [], [1, 2, 3]]),
    "narrow length -1": (lambda m, d: m.arange(3, device=d).narrow(0, 0, -1),
                         Raises(RuntimeError, "narrow(): length must be non-negative.")),
    "narrow start -4": (lambda m, d: m.arange(3, device=d).narrow(0, -4, 1),
                        Raises(IndexError, "start out of range (expected to be in range of [-3, 3], but got -4)")),
    "narrow start -1": (lambda m, d: m.arange(3, device=d).narrow(0, -1, 1), [2]),
    # -- creation: float and negative sizes (no device= where PyTorch's message would list its overloads) ---
    "ones 2.5": (lambda m, d: m.ones(2.5, device=d),
                 Raises(TypeError, "ones(): argument 'size' (position 1) must be tuple of ints, not float")),
    "zeros (2.5,)": (lambda m, d: m.zeros((2.5,), device=d),
                     Raises(TypeError, "zeros(): argument 'size' (position 1) must be tuple of ints, but found "
                                       "element of type float at pos 0")),
    "empty 2 2.5": (lambda m, d: m.empty(2, 2.5, device=d),
                    Raises(TypeError, "empty(): argument 'size' failed to unpack the object at pos 2 with error "
                                      "\"type must be tuple of ints,but got float\"")),
    "rand 2.0": (lambda m, d: m.rand(2.0),
                 Raises(TypeError, "rand(): argument 'size' (position 1) must be tuple of ints, not float")),
    "full (2.5,)": (lambda m, d: m.full((2.5,), 1.0, device=d),
                    Raises(TypeError, "full(): argument 'size' (position 1) must be tuple of ints, but found "
                                      "element of type float at pos 0")),
    "ones True": (lambda m, d: m.ones(True, device=d),
                  Raises(TypeError, "ones(): argument 'size' (position 1) must be tuple of ints, not bool")),
    "ones 0-d int tensor": (lambda m, d: m.ones(m.tensor(2), device=d), [1.0, 1.0]),
    "ones numpy int": (lambda m, d: m.ones(np.int64(2), device=d), [1.0, 1.0]),
    "zeros 2 -1": (lambda m, d: m.zeros(2, -1, device=d),
                   Raises(RuntimeError, "zeros: Dimension size must be non-negative.")),
    "new_zeros (2.5,)": (lambda m, d: m.ones(1, device=d).new_zeros((2.5,)),
                         Raises(TypeError, "new_zeros(): argument 'size' (position 1) must be tuple of ints, but "
                                           "found element of type float at pos 0")),
    "empty -1": (lambda m, d: m.empty(-1, device=d),
                 Raises(RuntimeError, "Trying to create tensor with negative dimension -1: [-1]")),
    "randint size -1": (lambda m, d: m.randint(0, 5, (-1,), device=d),
                        Raises(RuntimeError, "Trying to create tensor with negative dimension -1: [-1]")),
    "randperm -1": (lambda m, d: m.randperm(-1, device=d),
                    Raises(RuntimeError, "Trying to create tensor with negative dimension -1: [-1]")),
    "randperm 2.5": (lambda m, d: m.randperm(2.5),
                     Raises(TypeError, "randperm(): argument 'n' (position 1) must be int, not float")),
    "randperm 0": (lambda m, d: m.randperm(0, device=d), []),
    "arange nan": (lambda m, d: m.arange(0, nan, device=d), Raises(RuntimeError, "unsupported range: 0 -> nan")),
    "arange inf": (lambda m, d: m.arange(-inf, 0, device=d), Raises(RuntimeError, "unsupported range: -inf -> 0")),
    "arange wrong sign": (lambda m, d: m.arange(0, 5, -1, device=d),
                          Raises(RuntimeError, "upper bound and lower bound inconsistent with step sign")),
    "linspace -1": (lambda m, d: m.linspace(0, 1, -1, device=d),
                    Raises(RuntimeError, "number of steps must be non-negative")),
    "eye -1": (lambda m, d: m.eye(-1, device=d), Raises(RuntimeError, "n must be greater or equal to 0, got -1")),
    "eye 2 -1": (lambda m, d: m.eye(2, -1, device=d), Raises(RuntimeError, "m must be greater or equal to 0, got -1")),
    "eye 2.5": (lambda m, d: m.eye(2.5),
                Raises(TypeError, "eye(): argument 'n' (position 1) must be int, not float")),
    # -- sign of NaN and -0.0 is 0 ---------------------------------------------------------------------------
    "sign nan": (lambda m, d: m.sign(t(m, d, [nan, -0.0, 2.0, -3.0])), [0.0, 0.0, 1.0, -1.0]),
    "sign nan float16": (lambda m, d: m.sign(t(m, d, [nan, -2.0], m.float16)), [0.0, -1.0]),
    "sign -0.0 is +0.0": (lambda m, d: [math.copysign(1.0, v) for v in m.sign(t(m, d, [-0.0])).tolist()], [1.0]),
    # -- pooling: a window larger than the input, strides of 0, bad pads --------------------------------------
    "MaxPool2d(4) on 2x2": (lambda m, d: m.nn.MaxPool2d(4)(m.ones(1, 1, 2, 2, device=d)),
                            Raises(RuntimeError, "Given input size: (1x2x2). Calculated output size: (1x0x0). "
                                                 "Output size is too small")),
    "AvgPool2d(4) on 2x2": (lambda m, d: m.nn.AvgPool2d(4)(m.ones(1, 1, 2, 2, device=d)),
                            Raises(RuntimeError, "Given input size: (1x2x2). Calculated output size: (1x0x0). "
                                                 "Output size is too small")),
    "max_pool2d 1x2": (lambda m, d: F(m).max_pool2d(m.ones(1, 1, 1, 2, device=d), 2),
                       Raises(RuntimeError, "Given input size: (1x1x2). Calculated output size: (1x0x1). "
                                            "Output size is too small")),
    "max_pool2d ceil_mode": (lambda m, d: list(F(m).max_pool2d(m.ones(1, 1, 2, 2, device=d), 4, ceil_mode=True)
                                               .shape), [1, 1, 1, 1]),
    "max_pool2d pad 2 of 4": (lambda m, d: list(F(m).max_pool2d(m.ones(1, 1, 2, 2, device=d), 4, padding=2).shape),
                              [1, 1, 1, 1]),
    "MaxPool1d(4) on 2": (lambda m, d: m.nn.MaxPool1d(4)(m.ones(1, 1, 2, device=d)),
                          Raises(RuntimeError, "max_pool1d() Invalid computed output size: 0")),
    "avg_pool1d 4 on 2": (lambda m, d: F(m).avg_pool1d(m.ones(1, 1, 2, device=d), 4),
                          Raises(RuntimeError, "Given input size: (1x1x2). Calculated output size: (1x1x0). "
                                               "Output size is too small")),
    "max_pool2d stride 0": (lambda m, d: F(m).max_pool2d(m.ones(1, 1, 4, 4, device=d), 2, stride=0),
                            Raises(RuntimeError, "stride should not be zero")),
    "max_pool2d kernel 0": (lambda m, d: F(m).max_pool2d(m.ones(1, 1, 4, 4, device=d), 0, stride=1),
                            Raises(RuntimeError, "kernel size should be greater than zero, but got kH: 0 kW: 0")),
    "max_pool2d stride -1": (lambda m, d: F(m).max_pool2d(m.ones(1, 1, 4, 4, device=d), 2, stride=-1),
                             Raises(RuntimeError, "stride should be greater than zero, but got dH: -1 dW: -1")),
    "max_pool2d pad -1": (lambda m, d: F(m).max_pool2d(m.ones(1, 1, 4, 4, device=d), 2, padding=-1),
                          Raises(RuntimeError, "pad must be non-negative, but got pad: -1")),
    "max_pool2d dilation 0": (lambda m, d: F(m).max_pool2d(m.ones(1, 1, 4, 4, device=d), 2, dilation=0),
                              Raises(RuntimeError, "dilation should be greater than zero, but got dilationH: 0 "
                                                   "dilationW: 0")),
    "avg_pool2d stride 0": (lambda m, d: F(m).avg_pool2d(m.ones(1, 1, 4, 4, device=d), 2, stride=0),
                            Raises(RuntimeError, "stride should not be zero")),
    "max_pool1d stride 0": (lambda m, d: F(m).max_pool1d(m.ones(1, 1, 4, device=d), 2, stride=0),
                            Raises(RuntimeError, "max_pool1d() stride must be greater than zero, but got 0")),
    "max_pool1d pad 2 of 2": (lambda m, d: F(m).max_pool1d(m.ones(1, 1, 4, device=d), 2, padding=2),
                              Raises(RuntimeError, "max_pool1d() padding should be at most half of kernel size, but "
                                                   "got padding=2 and kernel_size=2")),
    "adaptive_avg_pool2d 0": (lambda m, d: list(F(m).adaptive_avg_pool2d(m.ones(1, 1, 4, 4, device=d), 0).shape),
                              [1, 1, 0, 0]),
    "adaptive_avg_pool2d -1": (lambda m, d: F(m).adaptive_avg_pool2d(m.ones(1, 1, 4, 4, device=d), -1),
                               Raises(RuntimeError, "adaptive_avg_pool2d: elements of output_size must be greater "
                                                    "than or equal to 0 but received {-1, -1}")),
    "sdpa with a +inf score": (lambda m, d: F(m).scaled_dot_product_attention(
        t(m, d, [[[inf, 0.0], [1.0, 1.0]]]), m.ones(1, 2, 2, device=d), m.ones(1, 2, 2, device=d)),
        [[[nan, nan], [1.0, 1.0]]]),
    # -- convolution geometry --------------------------------------------------------------------------------
    "conv2d stride 0": (lambda m, d: F(m).conv2d(m.ones(1, 1, 4, 4, device=d), m.ones(1, 1, 2, 2, device=d),
                                                 stride=0),
                        Raises(RuntimeError, "non-positive stride is not supported")),
    "Conv2d stride 0": (lambda m, d: m.nn.Conv2d(1, 1, 2, stride=0).to(d)(m.ones(1, 1, 4, 4, device=d)),
                        Raises(RuntimeError, "non-positive stride is not supported")),
    "conv2d padding -1": (lambda m, d: F(m).conv2d(m.ones(1, 1, 4, 4, device=d), m.ones(1, 1, 2, 2, device=d),
                                                   padding=-1),
                          Raises(RuntimeError, "negative padding is not supported")),
    "conv2d dilation 0": (lambda m, d: F(m).conv2d(m.ones(1, 1, 4, 4, device=d), m.ones(1, 1, 2, 2, device=d),
                                                   dilation=0),
                          Raises(RuntimeError, "dilation should be greater than zero, but got [0, 0]")),
    "conv2d kernel past input": (lambda m, d: F(m).conv2d(m.ones(1, 1, 2, 2, device=d), m.ones(1, 1, 3, 3, device=d)),
                                 Raises(RuntimeError, "Calculated padded input size per channel: (2 x 2). Kernel "
                                                      "size: (3 x 3). Kernel size can't be greater than actual input "
                                                      "size")),
    "conv1d stride 0": (lambda m, d: F(m).conv1d(m.ones(1, 1, 4, device=d), m.ones(1, 1, 2, device=d), stride=0),
                        Raises(RuntimeError, "non-positive stride is not supported")),
    "conv1d dilation 0": (lambda m, d: F(m).conv1d(m.ones(1, 1, 4, device=d), m.ones(1, 1, 2, device=d),
                                                   dilation=0),
                          Raises(RuntimeError, "dilation should be greater than zero, but got [1, 0]")),
    "conv1d kernel past input": (lambda m, d: F(m).conv1d(m.ones(1, 1, 2, device=d), m.ones(1, 1, 3, device=d)),
                                 Raises(RuntimeError, "Calculated padded input size per channel: (2). Kernel size: "
                                                      "(3). Kernel size can't be greater than actual input size")),
    "conv_transpose2d stride 0": (lambda m, d: F(m).conv_transpose2d(m.ones(1, 1, 4, 4, device=d),
                                                                     m.ones(1, 1, 2, 2, device=d), stride=0),
                                  Raises(RuntimeError, "non-positive stride is not supported")),
    "conv_transpose2d dilation 0": (lambda m, d: F(m).conv_transpose2d(m.ones(1, 1, 4, 4, device=d),
                                                                       m.ones(1, 1, 2, 2, device=d), dilation=0),
                                    Raises(RuntimeError, "dilation should be greater than zero, but got "
                                                         "dilation_height: 0, dilation_width: 0")),
    # -- messages --------------------------------------------------------------------------------------------
    "Linear on int64 input": (lambda m, d: m.nn.Linear(3, 2).to(d)(m.ones(1, 3, dtype=m.long, device=d)),
                              Raises(RuntimeError, "mat1 and mat2 must have the same dtype, but got Long and Float")),
    # -- siblings found by probing the same patterns across the API ----------------------------------------
    "reshape (2.0,)": (lambda m, d: m.ones(2, device=d).reshape((2.0,)),
                       Raises(TypeError, "reshape(): argument 'shape' (position 1) must be tuple of ints, but found "
                                         "element of type float at pos 0")),
    "reshape 2.5": (lambda m, d: m.ones(2, device=d).reshape(2.5),
                    Raises(TypeError, "reshape(): argument 'shape' (position 1) must be tuple of ints, not float")),
    "view -2": (lambda m, d: m.ones(4, device=d).view(-2, 2),
                Raises(RuntimeError, "invalid shape dimension -2 at index 0 of shape [-2, 2]")),
    "norm float16 squares past 65504": (lambda m, d: m.full((100,), 300.0, dtype=m.float16, device=d).norm(), 3000.0),
    "norm 3 float16": (lambda m, d: m.full((100,), 300.0, dtype=m.float16, device=d).norm(3), 1392.0),
    "bernoulli p 1.5": (lambda m, d: m.ones(2, device=d).bernoulli_(1.5),
                        Raises(RuntimeError, "bernoulli_ expects p to be in [0, 1], but got p=1.5")),
    "bernoulli probs 1.5": (lambda m, d: m.bernoulli(t(m, d, [0.5, 1.5])),
                            Raises(RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true, but got false.",
                                   prefix=True), ["cpu"]),
    "normal std -1": (lambda m, d: m.normal(0.0, -1.0, (2,)),
                      Raises(RuntimeError, "normal expects std >= 0.0, but found std -1")),
    "normal_ std -1": (lambda m, d: m.ones(2, device=d).normal_(0.0, -1.0),
                       Raises(RuntimeError, "normal expects std >= 0.0, but found std -1")),
    "normal tensor std -1": (lambda m, d: m.normal(m.zeros(2, device=d), t(m, d, [-1.0, 1.0])),
                             Raises(RuntimeError, "normal expects all elements of std >= 0.0"), ["cpu"]),
    "diag 3-d": (lambda m, d: m.ones(2, 2, 2, device=d).diag(),
                 Raises(RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D")),
    "scatter src smaller than index": (lambda m, d: m.zeros(3, device=d).scatter(0, idx(m, d, [0, 1, 2]),
                                                                                 t(m, d, [1.0])),
                                       Raises(RuntimeError, "Expected index [3] to be no larger than self [3] apart "
                                                            "from dimension 0 and to be no larger size than src [1]")),
    "scatter_add src dtype": (lambda m, d: m.zeros(3, device=d).scatter_add(0, idx(m, d, [0]),
                                                                            m.ones(1, dtype=m.float64, device=d)),
                              Raises(RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype")),
    "index_add source too short": (lambda m, d: m.zeros(3, device=d).index_add(0, idx(m, d, [0, 1]), t(m, d, [1.0])),
                                   Raises(RuntimeError, "index_add_(): Number of indices (2) should be equal to "
                                                        "source.size(dim): (1), for dim: 0")),
    "index_add source dtype": (lambda m, d: m.zeros(3, device=d).index_add(0, idx(m, d, [0]),
                                                                           m.ones(1, dtype=m.float64, device=d)),
                               Raises(RuntimeError, "index_add_(): self (Float) and source (Double) must have the "
                                                    "same scalar type")),
    "one_hot of nothing": (lambda m, d: F(m).one_hot(m.tensor([], dtype=m.long, device=d)),
                           Raises(RuntimeError, "Can not infer total number of classes from empty tensor.")),
    "pad crops past the start": (lambda m, d: F(m).pad(m.ones(4, device=d), (-5, 2)),
                                 Raises(RuntimeError, "narrow(): length must be non-negative.")),
    "pad crops to nothing": (lambda m, d: list(F(m).pad(m.ones(4, device=d), (-2, -2)).shape), [0]),
    "Linear with 0 inputs": (lambda m, d: m.nn.Linear(0, 2).to(d)(m.ones(3, 0, device=d)).shape[0], 3),
    "max of nothing": (lambda m, d: m.ones(0, device=d).max(),
                       Raises(RuntimeError, "max(): Expected reduction dim to be specified for input.numel() == 0. "
                                            "Specify the reduction dim with the 'dim' argument.")),
    "argmax of nothing": (lambda m, d: m.ones(0, device=d).argmax(),
                          Raises(IndexError, "argmax(): Expected reduction dim to be specified for input.numel() == "
                                             "0.")),
    "flip(0, 1)": (lambda m, d: m.arange(4, device=d).reshape(2, 2).flip(0, 1), [[3, 2], [1, 0]]),
    "flip(dims=[0])": (lambda m, d: m.flip(m.arange(4, device=d).reshape(2, 2), dims=[0]), [[2, 3], [0, 1]]),
    "flip a dim twice": (lambda m, d: m.ones(2, 2, device=d).flip(0, 0),
                         Raises(RuntimeError, "dim 0 appears multiple times in the list of dims")),
    "sum a dim twice": (lambda m, d: m.ones(2, 3, device=d).sum((1, 0, 1)),
                        Raises(RuntimeError, "dim 1 appears multiple times in the list of dims")),
    "movedim a dim twice": (lambda m, d: m.ones(2, 3, device=d).movedim((0, 0), (1, 0)),
                            Raises(RuntimeError, "movedim: repeated dim in `source` ([0, 0])")),
    "expand 2.0": (lambda m, d: m.ones(2, device=d).expand(2.0),
                   Raises(TypeError, "expand(): argument 'size' (position 1) must be tuple of ints, not float")),
    "repeat -1": (lambda m, d: m.ones(2, device=d).repeat(-1, 1),
                  Raises(RuntimeError, "Trying to create tensor with negative dimension -1: [-1, 2]")),
    "kthvalue 4 of 3": (lambda m, d: m.ones(2, 3, device=d).kthvalue(4),
                        Raises(RuntimeError, "kthvalue(): selected number k out of range for dimension 1")),
    "cat of nothing": (lambda m, d: m.cat([]), Raises(ValueError, "torch.cat(): expected a non-empty list of Tensors")),
    "sinh/cosh of 89 in float32": (lambda m, d: [m.sinh(t(m, d, [89.0, -89.0])), m.cosh(t(m, d, [-89.0, 21.0]))],
                                   [[2.2448064e38, -2.2448064e38], [2.2448064e38, 659609260.0]]),
    "x ** 0.5 is sqrt, as PyTorch": (  # (C's pow, which PyTorch uses for a tensor exponent, gives inf and +0)
        lambda m, d: [(x, math.copysign(1, x) if x == x else 0.0)
                      for x in m.pow(t(m, d, [-inf, -0.0, 4.0]), 0.5).tolist()],
        [[nan, 0.0], [-0.0, -1.0], [2.0, 1.0]]),
    "mean of int64": (lambda m, d: m.ones(3, dtype=m.long, device=d).mean(),
                      Raises(RuntimeError, "mean(): could not infer output dtype. Input dtype must be either a "
                                           "floating point or complex dtype. Got: Long")),
}


@pytest.fixture(autouse=True)
def no_pending_device_error():
    cuda.synchronize()
    yield
    try:
        cuda.synchronize()
    except DeviceIndexError:
        pass


# a case may name the devices it holds on: a cuda tensor of probabilities or of std is not read back
# to check it (that would synchronise every call)
RUNS = [(name, device) for name, case in CASES.items() for device in (case[2] if len(case) > 2 else DEVICES)]


@pytest.mark.parametrize("name, device", RUNS)
def test_tritorch_matches(name, device):
    fn, want = CASES[name][:2]
    tritorch.manual_seed(0)
    _check(fn, tritorch, device, want)


@pytest.mark.parametrize("name", list(CASES))
def test_pytorch_agrees(name):
    """The literals above are PyTorch's behaviour (on its CPU build)."""
    torch = pytest.importorskip("torch")
    fn, want = CASES[name][:2]
    _check(fn, torch, "cpu", want)


def test_a_device_index_past_the_devices_there_are_raises():
    for make in (lambda: tritorch.zeros(2, device="cuda:7"), lambda: tritorch.ones(2).to("cuda:1"),
                 lambda: tritorch.ones(2).cuda(3), lambda: tritorch.tensor([1.0], device=tritorch.device("cuda", 2))):
        with pytest.raises(RuntimeError, match=r"^CUDA error: invalid device ordinal \(cuda:\d requested, 1 CUDA "
                                               r"device available\)$"):
            make()
    assert tritorch.zeros(2, device="cuda:0").device == tritorch.device("cuda", 0)
    assert tritorch.device("cuda:7").index == 7                     # naming a device is fine, as in PyTorch


@pytest.mark.parametrize("op", ["gather", "scatter", "scatter_add", "index_select", "index_add"])
def test_in_range_indices_still_agree_between_devices(op, rng):
    x = tritorch.tensor(rng.standard_normal((5, 4)).astype(np.float32))
    i = tritorch.tensor(rng.integers(0, 5, (3, 4)))
    src = tritorch.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    run = {"gather": lambda x, i, s: x.gather(0, i), "scatter": lambda x, i, s: x.scatter(0, i[:1], s[:1]),
           "scatter_add": lambda x, i, s: x.scatter_add(0, i, s),
           "index_select": lambda x, i, s: x.index_select(0, i[:, 0]),
           "index_add": lambda x, i, s: x.index_add(0, i[:, 0], s)}[op]
    want = run(x, i, src).numpy()
    got = run(x.cuda(), i.cuda(), src.cuda()).cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_integers_cast_to_bfloat16_keep_their_values():
    """The emulated device wrote an integer's value as bfloat16 bits (1 -> 9.2e-41)."""
    values = [0, 1, 2, 3, 257, -5, 1 << 20]
    for dtype in (tritorch.int64, tritorch.int32, tritorch.uint8, tritorch.bool):
        x = tritorch.tensor(values, device="cuda").clamp(0 if dtype in (tritorch.uint8, tritorch.bool) else -10, 255
                                                         if dtype is tritorch.uint8 else 1 << 21).to(dtype)
        want = x.cpu().to(tritorch.bfloat16).float().tolist()
        assert x.to(tritorch.bfloat16).cpu().float().tolist() == want, dtype
