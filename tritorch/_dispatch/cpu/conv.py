"""2-D convolution (NCHW) and its two gradients as im2col + BLAS matmuls, one per sample.

The column matrices of a chunk of samples, (nb, groups, C/groups * kh * kw, Ho * Wo), are filled
with one strided copy from a view of the padded input, in the input's own sample-major order, so
that each sample's product with the weight, (O/groups, K) @ (K, Ho * Wo), lands directly in its
(O, Ho, Wo) block of the output: no transposed copy before or after the matmul. The chunk size
keeps the column buffer under `_CHUNK_BYTES` (cache-sized: the matmul reads what the copy just
wrote), so working memory stays bounded whatever the batch. The input gradient goes the other
way: one matmul per sample to the column gradient, then one strided add per kernel tap (col2im).
"""
import ml_dtypes
import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["conv2d", "conv2d_input_grad", "conv2d_weight_grad"]

_LOW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))
_CHUNK_BYTES = 2 << 20


def _up(a):
    return a.astype(np.float32) if a is not None and a.dtype in _LOW else a


def _pad_input(x, padding, value=0):
    (pt, pb), (pl, pr) = padding
    if not (pt or pb or pl or pr):
        return x
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=value)


def _out_size(size, k, stride, pad, dilation):
    return (size + pad - dilation * (k - 1) - 1) // stride + 1


def _windows(xp, kh, kw, stride, dilation, ho, wo):
    """View of padded input (N, C, Hp, Wp) as (N, C, kh, kw, Ho, Wo) without a copy."""
    sn, sc, sh, sw = xp.strides
    (st_h, st_w), (dh, dw) = stride, dilation
    return as_strided(xp, (xp.shape[0], xp.shape[1], kh, kw, ho, wo),
                      (sn, sc, sh * dh, sw * dw, sh * st_h, sw * st_w), writeable=False)


def _chunk(n, per_sample_bytes):
    return max(1, min(n, _CHUNK_BYTES // max(per_sample_bytes, 1)))


class _Columns:
    """im2col of one convolution: `get(lo, hi)` -> (hi - lo, groups, K, Ho * Wo) for samples lo:hi,
    K = C / groups * kh * kw ordered (channel, tap row, tap column) like the weight's last three
    dims, copied into one reused buffer."""

    def __init__(self, x, kh, kw, stride, padding, dilation, groups, ho, wo):
        self.n, c = x.shape[:2]
        self.groups, self.cg, self.kh, self.kw = groups, c // groups, kh, kw
        self.k, self.ho, self.wo, self.l = c // groups * kh * kw, ho, wo, ho * wo
        self.win = _windows(_pad_input(x, padding), kh, kw, stride, dilation, ho, wo)
        self.step = _chunk(self.n, groups * self.k * self.l * x.dtype.itemsize)
        self.buf = np.empty(self.step * groups * self.k * self.l, self.win.dtype)

    def get(self, lo, hi):
        nb = hi - lo
        out = self.buf[:nb * self.groups * self.k * self.l]
        shape = (nb, self.groups, self.cg, self.kh, self.kw, self.ho, self.wo)
        np.copyto(out.reshape(shape), self.win[lo:hi].reshape(shape))
        return out.reshape(nb, self.groups, self.k, self.l)


def _geometry(hw, w_shape, stride, padding, dilation):
    kh, kw = w_shape[2:]
    ho = _out_size(hw[0], kh, stride[0], sum(padding[0]), dilation[0])
    wo = _out_size(hw[1], kw, stride[1], sum(padding[1]), dilation[1])
    return kh, kw, ho, wo


def conv2d(x, w, b, stride, padding, dilation, groups):
    """x: (N, C, H, W); w: (O, C // groups, kh, kw); b: (O,) or None; padding ((top, bottom),
    (left, right)); stride, dilation: (h, w) -> (N, O, Ho, Wo), x's dtype."""
    xf, wf = _up(x), _up(w)
    n, o = x.shape[0], w.shape[0]
    kh, kw, ho, wo = _geometry(x.shape[2:], w.shape, stride, padding, dilation)
    cols = _Columns(xf, kh, kw, stride, padding, dilation, groups, ho, wo)
    wg = wf.reshape(groups, o // groups, cols.k).astype(xf.dtype, copy=False)
    y = np.empty((n, groups, o // groups, cols.l), xf.dtype)
    bias = None if b is None else _up(b).astype(xf.dtype, copy=False).reshape(groups, o // groups, 1)
    for lo in range(0, n, cols.step):
        hi = min(n, lo + cols.step)
        np.matmul(wg, cols.get(lo, hi), out=y[lo:hi])  # nb * groups BLAS calls (O/groups, K) @ (K, L)
        if bias is not None:
            y[lo:hi] += bias  # while the chunk is still in cache
    return y.reshape(n, o, ho, wo).astype(x.dtype, copy=False)


def conv2d_input_grad(g, w, input_hw, stride, padding, dilation, groups):
    """d(conv2d)/d(x) for output gradient g (N, O, Ho, Wo): (N, C, H, W). Per chunk: one matmul
    per sample to the column gradient, then one strided add per kernel tap (col2im)."""
    gf, wf = _up(g), _up(w)
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    h, wd = input_hw
    (pt, pb), (pl, pr) = padding
    # rows ordered (tap, channel): each tap's gradient is one contiguous (Cg, Ho, Wo) block per sample
    wt = wf.reshape(groups, o // groups, cg, kh * kw).transpose(0, 3, 2, 1).reshape(groups, kh * kw * cg, o // groups)
    wt = np.ascontiguousarray(wt, gf.dtype)
    # rows/cols a window can reach past the padded input (stride leftovers) get dropped below
    hp = max(h + pt + pb, (ho - 1) * stride[0] + (kh - 1) * dilation[0] + 1)
    wp = max(wd + pl + pr, (wo - 1) * stride[1] + (kw - 1) * dilation[1] + 1)
    geo = (n, groups, o // groups, cg, kh, kw, ho, wo, hp, wp)
    if tuple(stride) == (1, 1) and 8 * (wp - wo) <= wo and np.isfinite(wt).all():
        gx = _col2im_pitched(gf, wt, geo, dilation)
    else:
        gx = _col2im_taps(gf, wt, geo, stride, dilation)
    if (hp, wp) != (h, wd):
        gx = gx[:, :, pt:pt + h, pl:pl + wd]
    return gx.astype(g.dtype, order="C", copy=False)  # the crop of the padded planes: one contiguous copy


def _col2im_taps(gf, wt, geo, stride, dilation):
    """Column gradients of a chunk, then kh * kw strided adds of (Ho, Wo) planes: (N, C, Hp, Wp)."""
    n, groups, og, cg, kh, kw, ho, wo, hp, wp = geo
    (sh, sw), (dh, dw) = stride, dilation
    gg = gf.reshape(n, groups, og, ho * wo)
    gx = np.zeros((n, groups, cg, hp, wp), gf.dtype)
    step = _chunk(n, groups * cg * kh * kw * ho * wo * gf.itemsize)
    gbuf = np.empty(step * groups * kh * kw * cg * ho * wo, gf.dtype)
    for lo in range(0, n, step):
        nb = min(n, lo + step) - lo
        gcols = gbuf[:nb * groups * kh * kw * cg * ho * wo].reshape(nb, groups, kh * kw * cg, ho * wo)
        np.matmul(wt, gg[lo:lo + nb], out=gcols)
        gcols = gcols.reshape(nb, groups, kh * kw, cg, ho, wo)
        acc = gx[lo:lo + nb]
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
                acc[..., rows, j * dw:j * dw + sw * (wo - 1) + 1:sw] += gcols[:, :, i * kw + j]
    return gx.reshape(n, groups * cg, hp, wp)


def _col2im_pitched(gf, wt, geo, dilation):
    """Stride 1: g is copied into rows of the padded input's width Wp (zeros past Wo), so each tap's
    column gradient is a (Ho * Wp) run that adds to the flat (Hp * Wp) plane at offset i * dh * Wp +
    j * dw in ONE contiguous pass (long inner loops instead of Ho rows of Wo). The zero columns give
    exact zeros (finite weights only) where a run spills over a row end or into the next plane."""
    n, groups, og, cg, kh, kw, ho, wo, hp, wp = geo
    dh, dw = dilation
    plane, run, item = hp * wp, ho * wp, gf.itemsize
    step = _chunk(n, groups * (cg * kh * kw + og) * run * item)
    gpad = np.zeros((step, groups, og, ho, wp), gf.dtype)  # columns Wo.. stay zero
    gbuf = np.empty(step * groups * kh * kw * cg * run, gf.dtype)
    spill = (kw - 1) * dw  # past its plane's end, the run of the last tap (all zero columns)
    flat = np.zeros(n * groups * cg * plane + spill, gf.dtype)
    planes = as_strided(flat, (n, groups, cg, plane + spill), (groups * cg * plane * item, cg * plane * item,
                                                               plane * item, item))
    g5 = gf.reshape(n, groups, og, ho, wo)
    for lo in range(0, n, step):
        nb = min(n, lo + step) - lo
        gpad[:nb, ..., :wo] = g5[lo:lo + nb]
        gcols = gbuf[:nb * groups * kh * kw * cg * run].reshape(nb, groups, kh * kw * cg, run)
        np.matmul(wt, gpad[:nb].reshape(nb, groups, og, run), out=gcols)
        gcols = gcols.reshape(nb, groups, kh * kw, cg, run)
        for i in range(kh):
            for j in range(kw):
                off = i * dh * wp + j * dw
                planes[lo:lo + nb, :, :, off:off + run] += gcols[:, :, i * kw + j]
    return flat[:n * groups * cg * plane].reshape(n, groups * cg, hp, wp)


def conv2d_weight_grad(g, x, weight_shape, stride, padding, dilation, groups):
    """d(conv2d)/d(w) for output gradient g (N, O, Ho, Wo) and input x (N, C, H, W): weight_shape.
    Per chunk: the columns of x, then one (K, L) @ (L, O/groups) matmul per sample and group."""
    gf, xf = _up(g), _up(x)
    n, o, ho, wo = g.shape
    kh, kw = weight_shape[2:]
    cols = _Columns(xf.astype(gf.dtype, copy=False), kh, kw, stride, padding, dilation, groups, ho, wo)
    gg = gf.reshape(n, groups, o // groups, ho * wo)
    gwt = np.zeros((groups, cols.k, o // groups), gf.dtype)  # transposed: (K, L) @ (L, O/groups) suits BLAS better
    for lo in range(0, n, cols.step):
        hi = min(n, lo + cols.step)
        # (nb, groups, K, O/groups) per-sample products (BLAS reads the transposed view as is), summed
        gwt += np.matmul(cols.get(lo, hi), gg[lo:hi].transpose(0, 1, 3, 2)).sum(axis=0)
    return gwt.transpose(0, 2, 1).reshape(weight_shape).astype(g.dtype, order="C")
