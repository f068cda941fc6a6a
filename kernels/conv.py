"""Convolution as im2col + matmul: the two data-movement kernels around the matmul kernel.

``im2col`` lays the receptive fields of an NCHW input out as the columns of a matrix,
``cols[n, (c, i, j), (y, x)] = x[n, c, y * sh - pt + i * dh, x * sw - pl + j * dw]`` (0 outside
the input: the padding is never materialised), so a convolution is one batched matmul
``w (O, C*kh*kw) @ cols (N, C*kh*kw, Ho*Wo)`` (``tritorch._dispatch.cuda.nn.conv2d``).
``col2im`` is its adjoint: each input pixel gathers the column entries that read it, summed in a
fixed order (no atomics, deterministic), which turns the matmul ``w^T @ g`` into the input
gradient.

Why im2col rather than an implicit-GEMM kernel: it reuses the tuned matmul kernel (and its
bias/residual epilogue) as is, and each of the two kernels here is a flat elementwise walk that is
easy to verify. It costs ``C*kh*kw*Ho*Wo`` elements of memory per image; an implicit-GEMM kernel
would avoid that and is the next step if a benchmark shows the copy matters.

Both kernels take any strides and float32/float16/bfloat16/float64 (col2im sums in float32, or
float64 for float64).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import empty

from ._harness import prepare_launch

BLOCK = 1024


@triton.jit
def _im2col(x_ptr, cols_ptr, n, C, H, W, HO, WO, KH, KW, SH, SW, PT, PL, DH, DW,
            sxn, sxc, sxh, sxw, BLOCK: tl.constexpr):
    """x: [N, C, H, W] (strided) -> cols: [N, C*KH*KW, HO*WO] (contiguous)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    L = HO * WO
    KK = KH * KW
    col = offs % L
    row = (offs // L) % (C * KK)
    b = offs // (L * C * KK)
    c = row // KK
    i = (row % KK) // KW
    j = row % KW
    h = (col // WO) * SH - PT + i * DH
    w = (col % WO) * SW - PL + j * DW
    inside = mask & (h >= 0) & (h < H) & (w >= 0) & (w < W)
    v = tl.load(x_ptr + b * sxn + c * sxc + h * sxh + w * sxw, mask=inside, other=0.0)
    tl.store(cols_ptr + offs, v, mask=mask)


@triton.jit
def _col2im(cols_ptr, x_ptr, n, C, H, W, HO, WO, KH, KW, SH, SW, PT, PL, DH, DW,
            scn, scr, scl, ACC: tl.constexpr, BLOCK: tl.constexpr):
    """cols: [N, C*KH*KW, HO*WO] (strided) -> x: [N, C, H, W] (contiguous), the adjoint of _im2col."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    w = offs % W
    h = (offs // W) % H
    c = (offs // (H * W)) % C
    b = offs // (C * H * W)
    acc = tl.zeros((BLOCK,), ACC)
    for i in range(0, KH):
        hh = h + PT - i * DH
        y = hh // SH
        ok_h = (hh >= 0) & (hh - y * SH == 0) & (y < HO)
        for j in range(0, KW):
            ww = w + PL - j * DW
            x = ww // SW
            ok = mask & ok_h & (ww >= 0) & (ww - x * SW == 0) & (x < WO)
            ptr = cols_ptr + b * scn + (c * KH * KW + i * KW + j) * scr + (y * WO + x) * scl
            acc += tl.load(ptr, mask=ok, other=0.0).to(ACC)
    tl.store(x_ptr + offs, acc.to(x_ptr.dtype.element_ty), mask=mask)


def _geometry(kernel, stride, padding, dilation):
    (kh, kw), (sh, sw), ((pt, _), (pl, _)), (dh, dw) = kernel, stride, padding, dilation
    return [kh, kw, sh, sw, pt, pl, dh, dw]


def im2col(x, kernel, stride, padding, dilation, out_hw):
    """Columns of ``x`` (N, C, H, W) for a ``kernel`` (kh, kw) convolution.

    Args: stride, dilation: (h, w); padding: ((top, bottom), (left, right)); out_hw: (Ho, Wo).
    Returns a contiguous DeviceArray (N, C*kh*kw, Ho*Wo) of x's dtype."""
    N, C, H, W = x.shape
    HO, WO = out_hw
    cols = empty((N, C * kernel[0] * kernel[1], HO * WO), x.dtype)
    n = cols.numel()
    if n:
        prepare_launch()
        _im2col[(triton.cdiv(n, BLOCK),)](x, cols, n, C, H, W, HO, WO, *_geometry(kernel, stride, padding, dilation),
                                          *x.strides, BLOCK=BLOCK)
    return cols


def col2im(cols, input_shape, kernel, stride, padding, dilation, out_hw):
    """The adjoint of ``im2col``: cols (N, C*kh*kw, Ho*Wo), any strides -> (N, C, H, W) of cols' dtype,
    each pixel the sum of the column entries that read it."""
    N, C, H, W = input_shape
    x = empty(tuple(input_shape), cols.dtype)
    n = x.numel()
    if n:
        prepare_launch()
        acc = tl.float64 if cols.dtype == np.float64 else tl.float32
        _col2im[(triton.cdiv(n, BLOCK),)](cols, x, n, C, H, W, *out_hw, *_geometry(kernel, stride, padding, dilation),
                                          *cols.strides, ACC=acc, BLOCK=BLOCK)
    return x


# -- numpy twins -----------------------------------------------------------------------------------
def _taps(input_shape, kernel, stride, padding, dilation, out_hw):
    """For every (c, i, j, y, x): the input (h, w) it reads and whether that lies inside."""
    _, C, H, W = input_shape
    (kh, kw), (sh, sw), ((pt, _), (pl, _)), (dh, dw) = kernel, stride, padding, dilation
    c, i, j, y, x = np.meshgrid(np.arange(C), np.arange(kh), np.arange(kw), np.arange(out_hw[0]),
                                np.arange(out_hw[1]), indexing="ij")
    h, w = y * sh - pt + i * dh, x * sw - pl + j * dw
    return c, h, w, (h >= 0) & (h < H) & (w >= 0) & (w < W)


def im2col_reference(x, kernel, stride, padding, dilation, out_hw):
    """``im2col`` in numpy: (N, C*kh*kw, Ho*Wo) of x's dtype."""
    x = np.asarray(x)
    c, h, w, inside = _taps(x.shape, kernel, stride, padding, dilation, out_hw)
    cols = np.where(inside, x[:, c, np.clip(h, 0, x.shape[2] - 1), np.clip(w, 0, x.shape[3] - 1)], 0)
    return cols.reshape(x.shape[0], -1, out_hw[0] * out_hw[1]).astype(x.dtype)


def col2im_reference(cols, input_shape, kernel, stride, padding, dilation, out_hw):
    """``col2im`` in float64 numpy: (N, C, H, W)."""
    N, C, H, W = input_shape
    c, h, w, inside = _taps(input_shape, kernel, stride, padding, dilation, out_hw)
    cols = np.asarray(cols, np.float64).reshape((N,) + c.shape)
    out = np.zeros((N, C, H, W))
    for b in range(N):
        np.add.at(out[b], (c[inside], h[inside], w[inside]), cols[b][inside])
    return out
