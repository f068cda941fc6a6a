"""2-D max and average pooling (NCHW), forward and the average pool's backward.

Every kernel is a flat walk over its output: each element loops over the kh * kw taps of its
window, reading the strided input with masks (padding is never materialised).

* ``max_pool2d``: the window maximum and its index ``h * W + w`` into the input plane (padding
  positions read as -inf). NaN wins, and among equal values the first tap in row-major order, as
  in PyTorch and the CPU backend.
* ``avg_pool2d``: the window sum over the divisor PyTorch uses: ``divisor_override``, else the
  window clipped to the padded input (``count_include_pad``) or to the input itself.
* ``avg_pool2d_backward``: each input pixel gathers ``g / divisor`` from the windows that contain
  it (no atomics; deterministic). The max pool's backward is a scatter-add of ``g`` into the
  saved indices (``tritorch._dispatch.cuda.nn``).

Sums run in float32 (float64 for float64). The CPU backend (``tritorch/_dispatch/cpu/nn.py``) is
the numpy twin and test oracle of this family.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import empty

from ._harness import prepare_launch

BLOCK = 512


@triton.jit
def _max_pool_fwd(x_ptr, y_ptr, idx_ptr, n, C, H, W, HO, WO, KH, KW, SH, SW, PH, PW, DH, DW,
                  sxn, sxc, sxh, sxw, ACC: tl.constexpr, BLOCK: tl.constexpr):
    """x: [N, C, H, W] (strided) -> y, idx (int64): [N, C, HO, WO] (contiguous)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    xo = offs % WO
    yo = (offs // WO) % HO
    c = (offs // (HO * WO)) % C
    b = offs // (C * HO * WO)
    base = x_ptr + b * sxn + c * sxc
    best_key = tl.full((BLOCK,), float("-inf"), ACC)
    best_val = tl.full((BLOCK,), float("-inf"), ACC)
    best_idx = tl.zeros((BLOCK,), tl.int64)
    for i in range(0, KH):
        h = yo * SH - PH + i * DH
        for j in range(0, KW):
            w = xo * SW - PW + j * DW
            inside = mask & (h >= 0) & (h < H) & (w >= 0) & (w < W)
            v = tl.load(base + h * sxh + w * sxw, mask=inside, other=float("-inf")).to(ACC)
            key = tl.where(v != v, float("inf"), v)
            better = (key > best_key) | ((i == 0) & (j == 0))
            best_key = tl.where(better, key, best_key)
            best_val = tl.where(better, v, best_val)
            best_idx = tl.where(better, h * W + w, best_idx)
    tl.store(y_ptr + offs, best_val.to(y_ptr.dtype.element_ty), mask=mask)
    tl.store(idx_ptr + offs, best_idx, mask=mask)


@triton.jit
def _divisor(yo, xo, H, W, KH, KW, SH, SW, PH, PW, DIVISOR, COUNT_PAD: tl.constexpr, ACC: tl.constexpr):
    """The averaging divisor of output (yo, xo): DIVISOR when > 0, else the clipped window size."""
    r0 = yo * SH - PH
    c0 = xo * SW - PW
    if COUNT_PAD:
        rn = tl.minimum(r0 + KH, H + PH) - r0
        cn = tl.minimum(c0 + KW, W + PW) - c0
    else:
        rn = tl.minimum(r0 + KH, H) - tl.maximum(r0, 0)
        cn = tl.minimum(c0 + KW, W) - tl.maximum(c0, 0)
    count = (rn * cn).to(ACC)
    return tl.where(DIVISOR > 0, DIVISOR, count)


@triton.jit
def _avg_pool_fwd(x_ptr, y_ptr, n, C, H, W, HO, WO, KH, KW, SH, SW, PH, PW, DIVISOR,
                  sxn, sxc, sxh, sxw, COUNT_PAD: tl.constexpr, ACC: tl.constexpr, BLOCK: tl.constexpr):
    """x: [N, C, H, W] (strided) -> y: [N, C, HO, WO] (contiguous)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    xo = offs % WO
    yo = (offs // WO) % HO
    c = (offs // (HO * WO)) % C
    b = offs // (C * HO * WO)
    base = x_ptr + b * sxn + c * sxc
    acc = tl.zeros((BLOCK,), ACC)
    for i in range(0, KH):
        h = yo * SH - PH + i
        for j in range(0, KW):
            w = xo * SW - PW + j
            inside = mask & (h >= 0) & (h < H) & (w >= 0) & (w < W)
            acc += tl.load(base + h * sxh + w * sxw, mask=inside, other=0.0).to(ACC)
    div = _divisor(yo, xo, H, W, KH, KW, SH, SW, PH, PW, DIVISOR, COUNT_PAD, ACC)
    tl.store(y_ptr + offs, (acc / div).to(y_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _avg_pool_bwd(g_ptr, dx_ptr, n, C, H, W, HO, WO, KH, KW, SH, SW, PH, PW, DIVISOR,
                  sgn, sgc, sgh, sgw, COUNT_PAD: tl.constexpr, ACC: tl.constexpr, BLOCK: tl.constexpr):
    """g: [N, C, HO, WO] (strided) -> dx: [N, C, H, W] (contiguous)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    w = offs % W
    h = (offs // W) % H
    c = (offs // (H * W)) % C
    b = offs // (C * H * W)
    base = g_ptr + b * sgn + c * sgc
    acc = tl.zeros((BLOCK,), ACC)
    for i in range(0, KH):
        hh = h + PH - i
        yo = hh // SH
        ok_h = (hh >= 0) & (hh - yo * SH == 0) & (yo < HO)
        for j in range(0, KW):
            ww = w + PW - j
            xo = ww // SW
            ok = mask & ok_h & (ww >= 0) & (ww - xo * SW == 0) & (xo < WO)
            g = tl.load(base + yo * sgh + xo * sgw, mask=ok, other=0.0).to(ACC)
            div = _divisor(yo, xo, H, W, KH, KW, SH, SW, PH, PW, DIVISOR, COUNT_PAD, ACC)
            acc += tl.where(ok, g / div, 0.0)
    tl.store(dx_ptr + offs, acc.to(dx_ptr.dtype.element_ty), mask=mask)


def _acc(dtype):
    return tl.float64 if dtype == np.float64 else tl.float32


def _launch(kernel, n, *args, **constexprs):
    if n:
        prepare_launch()
        kernel[(triton.cdiv(n, BLOCK),)](*args, BLOCK=BLOCK, **constexprs)


def max_pool2d(x, kernel, stride, padding, dilation, out_hw):
    """Max pooling of x (N, C, H, W), any strides; kernel, stride, padding, dilation: (h, w) ints;
    out_hw: (Ho, Wo). Returns (values (N, C, Ho, Wo) of x's dtype, int64 indices into H * W)."""
    N, C, H, W = x.shape
    y, idx = empty((N, C) + tuple(out_hw), x.dtype), empty((N, C) + tuple(out_hw), np.int64)
    _launch(_max_pool_fwd, y.numel(), x, y, idx, y.numel(), C, H, W, *out_hw, *kernel, *stride, *padding, *dilation,
            *x.strides, ACC=_acc(x.dtype))
    return y, idx


def avg_pool2d(x, kernel, stride, padding, out_hw, count_include_pad, divisor_override):
    """Average pooling of x (N, C, H, W), any strides -> (N, C, Ho, Wo) of x's dtype."""
    N, C, H, W = x.shape
    y = empty((N, C) + tuple(out_hw), x.dtype)
    _launch(_avg_pool_fwd, y.numel(), x, y, y.numel(), C, H, W, *out_hw, *kernel, *stride, *padding,
            float(divisor_override or 0), *x.strides, COUNT_PAD=bool(count_include_pad), ACC=_acc(x.dtype))
    return y


def avg_pool2d_backward(g, input_shape, kernel, stride, padding, count_include_pad, divisor_override):
    """Gradient of ``avg_pool2d`` for g (N, C, Ho, Wo), any strides -> (N, C, H, W) of g's dtype."""
    N, C, H, W = input_shape
    dx = empty(tuple(input_shape), g.dtype)
    _launch(_avg_pool_bwd, dx.numel(), g, dx, dx.numel(), C, H, W, *g.shape[2:], *kernel, *stride, *padding,
            float(divisor_override or 0), *g.strides, COUNT_PAD=bool(count_include_pad), ACC=_acc(g.dtype))
    return dx
