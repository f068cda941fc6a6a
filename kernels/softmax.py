"""Softmax and log-softmax, forward and backward, over any dimension.

``y = softmax(scale * x + mask)`` along ``dim``, where ``mask`` is boolean (False means masked
out, i.e. -inf) or additive float, broadcastable to ``x``; ``causal=True`` masks column ``j > i``
of row ``i`` over the last two dims (top-left aligned, like ``is_causal`` in PyTorch). Storage
is float32/float16/bfloat16, math is float32.

Rows up to ``LOOP_THRESHOLD`` columns are read once into one block; longer rows are processed
``BLOCK_N`` columns at a time with the online (running max, rescaled sum) algorithm. A config
with ``BLOCK_N < n_cols`` selects the looped path, so tests reach it with small rows.

A fully masked row has no finite logit: like PyTorch, its softmax and log-softmax are NaN.

The reduced dimension is moved last with a strided view; the remaining "row" dims are addressed
through at most two strides (any dense layout needs no more), else inputs are made contiguous.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import empty, empty_like
from tritorch.cuda.layout import collapse_dims

from ._harness import (bucket, check_float, check_out, device_array, launch_tuned, prepare_launch,
                       split_config)

LOOP_THRESHOLD = 32768  # columns; longer rows take the looped (online) path
LOOP_BLOCK = 4096
BACKWARD_LOOP_THRESHOLD = 16384


# -- autotuning search space ---------------------------------------------------------------------
def softmax_configs(n_cols):
    """Candidate configs for a row of ``n_cols``: one block per row when it fits, else looped blocks."""
    if n_cols <= LOOP_THRESHOLD:
        return [dict(BLOCK_N=triton.next_power_of_2(n_cols), num_warps=w) for w in (1, 2, 4, 8, 16)]
    return [dict(BLOCK_N=b, num_warps=w) for b in (1024, 2048, 4096, 8192) for w in (4, 8, 16)]


def softmax_key(n_cols, dtype):
    """The autotune cache key of rows of ``n_cols`` (forward and backward): dtype and column bucket."""
    return f"{np.dtype(dtype)}|N{bucket(n_cols)}"


def softmax_default_config(n_cols, backward=False):
    """The config used when the cache has none. The backward holds two rows (dy and y): past
    ``BACKWARD_LOOP_THRESHOLD`` columns it takes the looped path (32,768 in one block spilled)."""
    if n_cols > LOOP_THRESHOLD:
        return dict(BLOCK_N=LOOP_BLOCK, num_warps=8)
    if backward and n_cols > BACKWARD_LOOP_THRESHOLD:
        return dict(BLOCK_N=BACKWARD_LOOP_THRESHOLD, num_warps=16)
    block = triton.next_power_of_2(max(n_cols, 1))
    return dict(BLOCK_N=block, num_warps=4 if block <= 2048 else 8 if block <= 8192 else 16)


# -- kernels ---------------------------------------------------------------------------------------
@triton.jit
def _row_start(ptr, row, R1, stride0, stride1):
    return ptr + (row // R1) * stride0 + (row % R1) * stride1


@triton.jit
def _logits(x_row, m_row, cols, n_cols, stride_xc, stride_mc, scale, query,
            HAS_MASK: tl.constexpr, MASK_IS_BOOL: tl.constexpr, CAUSAL: tl.constexpr):
    """scale * x + mask for the columns ``cols`` of one row, -inf where masked or past the end."""
    valid = cols < n_cols
    x = tl.load(x_row + cols.to(tl.int64) * stride_xc, mask=valid, other=0.0).to(tl.float32) * scale
    if HAS_MASK:
        m = tl.load(m_row + cols.to(tl.int64) * stride_mc, mask=valid, other=0)
        if MASK_IS_BOOL:
            x = tl.where(m != 0, x, float("-inf"))
        else:
            x = x + m.to(tl.float32)
    if CAUSAL:
        x = tl.where(cols <= query, x, float("-inf"))
    return tl.where(valid, x, float("-inf"))


@triton.jit
def _softmax_fwd(x_ptr, y_ptr, m_ptr, n_cols, R1, L,
                 stride_x0, stride_x1, stride_xc, stride_y0, stride_y1, stride_yc,
                 stride_m0, stride_m1, stride_mc, scale,
                 HAS_MASK: tl.constexpr, MASK_IS_BOOL: tl.constexpr, CAUSAL: tl.constexpr,
                 LOG: tl.constexpr, BLOCK_N: tl.constexpr):
    """One row per program, the whole row in one block. x_ptr, y_ptr, m_ptr: [rows, n_cols]
    addressed as [rows // R1, rows % R1, n_cols] with strides; L: causal query length."""
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK_N)
    x_row = _row_start(x_ptr, row, R1, stride_x0, stride_x1)
    m_row = _row_start(m_ptr, row, R1, stride_m0, stride_m1)
    x = _logits(x_row, m_row, cols, n_cols, stride_xc, stride_mc, scale, row % L, HAS_MASK, MASK_IS_BOOL, CAUSAL)
    x = x - tl.max(x, axis=0)
    e = tl.exp(x)
    total = tl.sum(e, axis=0)
    y = x - tl.log(total) if LOG else e / total
    y_row = _row_start(y_ptr, row, R1, stride_y0, stride_y1)
    tl.store(y_row + cols.to(tl.int64) * stride_yc, y.to(y_ptr.dtype.element_ty), mask=cols < n_cols)


@triton.jit
def _softmax_fwd_looped(x_ptr, y_ptr, m_ptr, n_cols, R1, L,
                        stride_x0, stride_x1, stride_xc, stride_y0, stride_y1, stride_yc,
                        stride_m0, stride_m1, stride_mc, scale,
                        HAS_MASK: tl.constexpr, MASK_IS_BOOL: tl.constexpr, CAUSAL: tl.constexpr,
                        LOG: tl.constexpr, BLOCK_N: tl.constexpr):
    """As ``_softmax_fwd`` for rows longer than BLOCK_N: pass 1 keeps a running max and a sum
    rescaled to it (per lane), pass 2 writes the outputs."""
    row = tl.program_id(0).to(tl.int64)
    x_row = _row_start(x_ptr, row, R1, stride_x0, stride_x1)
    m_row = _row_start(m_ptr, row, R1, stride_m0, stride_m1)
    y_row = _row_start(y_ptr, row, R1, stride_y0, stride_y1)
    query = row % L
    lane_max = tl.full((BLOCK_N,), float("-inf"), tl.float32)
    lane_sum = tl.zeros((BLOCK_N,), tl.float32)
    for start in range(0, n_cols, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N)
        x = _logits(x_row, m_row, cols, n_cols, stride_xc, stride_mc, scale, query, HAS_MASK, MASK_IS_BOOL, CAUSAL)
        new_max = tl.maximum(lane_max, x)
        safe_max = tl.where(new_max == float("-inf"), 0.0, new_max)  # no -inf - -inf = NaN
        lane_sum = lane_sum * tl.exp(lane_max - safe_max) + tl.exp(x - safe_max)
        lane_max = new_max
    row_max = tl.max(lane_max, axis=0)
    safe_max = tl.where(row_max == float("-inf"), 0.0, row_max)
    total = tl.sum(lane_sum * tl.exp(lane_max - safe_max), axis=0)
    for start in range(0, n_cols, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N)
        x = _logits(x_row, m_row, cols, n_cols, stride_xc, stride_mc, scale, query, HAS_MASK, MASK_IS_BOOL, CAUSAL)
        y = x - row_max - tl.log(total) if LOG else tl.exp(x - row_max) / total
        tl.store(y_row + cols.to(tl.int64) * stride_yc, y.to(y_ptr.dtype.element_ty), mask=cols < n_cols)


@triton.jit
def _softmax_bwd(g_ptr, y_ptr, dx_ptr, n_cols, R1,
                 stride_g0, stride_g1, stride_gc, stride_y0, stride_y1, stride_yc,
                 stride_d0, stride_d1, stride_dc, scale,
                 LOG: tl.constexpr, LOOPED: tl.constexpr, BLOCK_N: tl.constexpr):
    """dx = scale * y * (g - sum(g * y)) for softmax, scale * (g - exp(y) * sum(g)) for log-softmax.
    g_ptr (grad of y), y_ptr (forward output), dx_ptr: [rows, n_cols] addressed like ``_softmax_fwd``.
    LOOPED: two passes of BLOCK_N columns; else the row is one block."""
    row = tl.program_id(0).to(tl.int64)
    g_row = _row_start(g_ptr, row, R1, stride_g0, stride_g1)
    y_row = _row_start(y_ptr, row, R1, stride_y0, stride_y1)
    d_row = _row_start(dx_ptr, row, R1, stride_d0, stride_d1)
    lane_dot = tl.zeros((BLOCK_N,), tl.float32)
    for start in range(0, n_cols if LOOPED else 1, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N)
        valid = cols < n_cols
        g = tl.load(g_row + cols.to(tl.int64) * stride_gc, mask=valid, other=0.0).to(tl.float32)
        y = tl.load(y_row + cols.to(tl.int64) * stride_yc, mask=valid, other=0.0).to(tl.float32)
        lane_dot += g if LOG else g * y
    dot = tl.sum(lane_dot, axis=0)
    for start in range(0, n_cols if LOOPED else 1, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N)
        valid = cols < n_cols
        g = tl.load(g_row + cols.to(tl.int64) * stride_gc, mask=valid, other=0.0).to(tl.float32)
        y = tl.load(y_row + cols.to(tl.int64) * stride_yc, mask=valid, other=0.0).to(tl.float32)
        dx = g - tl.exp(y) * dot if LOG else y * (g - dot)
        tl.store(d_row + cols.to(tl.int64) * stride_dc, (dx * scale).to(dx_ptr.dtype.element_ty), mask=valid)


# -- launchers -------------------------------------------------------------------------------------
def _rows_layout(arrays, dim):
    """Views of same-shaped ``arrays`` with ``dim`` last and the other dims as <= 2 row strides.

    Returns ``(R0, R1, [(stride0, stride1, stride_col), ...])``, or None when some array needs a copy.
    """
    ndim = arrays[0].ndim
    perm = [d for d in range(ndim) if d != dim] + [dim]
    moved = [x.permute(perm) for x in arrays]
    rows, strides = collapse_dims(moved[0].shape[:-1], *[x.strides[:-1] for x in moved])
    if len(rows) > 2:
        return None
    rows = (1,) * (2 - len(rows)) + rows
    strides = [(0,) * (2 - len(s)) + s for s in strides]
    return rows[0], rows[1], [(s[0], s[1], x.strides[-1]) for s, x in zip(strides, moved)]


def _normalize_dim(dim, ndim, shape):
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"dim {dim} is out of range for an array of shape {shape}")
    return dim % max(ndim, 1)


def softmax(x, dim=-1, *, scale=None, mask=None, causal=False, log=False, out=None, config=None):
    """``softmax(scale * x + mask)`` (or its log) along ``dim``.

    Args:
        x (DeviceArray or DLPack/CUDA-array-interface array): any shape, float32/float16/bfloat16.
        dim (int, optional): the dimension to normalise. Default: ``-1``.
        scale (float, optional): multiplies ``x`` first. Default: ``1``.
        mask (optional): broadcastable to ``x``; bool (False = masked out) or float (added).
        causal (bool, optional): mask column ``j > i`` in row ``i`` of the last two dims; needs
            ``dim`` to be the last dim. Default: ``False``.
        log (bool, optional): return log-softmax. Default: ``False``.
        out (DeviceArray, optional): ``x``'s shape and dtype, any strides.
        config (dict, optional): ``{"BLOCK_N": ..., "num_warps": ...}``; ``BLOCK_N < n_cols`` loops.

    Returns:
        DeviceArray of ``x``'s shape and dtype (numpy in, numpy out via the float64 twin).
        Fully masked rows are NaN, as in PyTorch.
    """
    if isinstance(x, np.ndarray):
        mask = mask if mask is None or isinstance(mask, np.ndarray) else mask.numpy()
        return softmax_reference(x, dim, scale=scale, mask=mask, causal=causal, log=log).astype(x.dtype)
    x = device_array(x, "x")
    check_float(x, "x")
    dim = _normalize_dim(dim, x.ndim, x.shape)
    if x.ndim == 0:  # a 0-d array is one row of one column
        mask = None if mask is None else device_array(mask, "mask").reshape(1)
        return softmax(x.reshape(1), 0, scale=scale, mask=mask, log=log, config=config,
                       out=None if out is None else device_array(out, "out").reshape(1)).reshape(())
    if causal and (x.ndim < 2 or dim != x.ndim - 1):
        raise ValueError(f"causal=True needs dim to be the last of at least 2 dims, got dim {dim} for shape {x.shape}")
    result = empty(x.shape, x.dtype) if out is None else check_out(out, x.shape, x.dtype)
    arrays = [x, result]
    mask_is_bool = False
    if mask is not None:
        mask = device_array(mask, "mask")
        mask_is_bool = mask.dtype == np.bool_
        if not mask_is_bool:
            check_float(mask, "mask")
        try:
            mask = mask.broadcast_to(x.shape)
        except ValueError:
            raise ValueError(f"mask of shape {mask.shape} does not broadcast to x's shape {x.shape}") from None
        arrays.append(mask.view(np.int8) if mask_is_bool else mask)
    layout = _rows_layout(arrays, dim)
    if layout is None:  # some layout needs more than 2 row strides: compute on contiguous copies
        tmp = softmax(x.contiguous(), dim, scale=scale, mask=None if mask is None else mask.contiguous(),
                      causal=causal, log=log, config=config)
        return result.copy_(tmp).reshape(result.shape) if out is not None else tmp
    R0, R1, strides = layout
    n_cols = x.shape[dim]
    if R0 * R1 and n_cols:
        mask_strides = strides[2] if mask is not None else (0, 0, 0)
        default = softmax_default_config(n_cols)

        def launch(config):
            constexprs, options = split_config(config)
            kernel = _softmax_fwd_looped if constexprs["BLOCK_N"] < n_cols else _softmax_fwd
            kernel[(R0 * R1,)](x, result, arrays[-1], n_cols, R1, x.shape[-2] if causal else 1,
                               *strides[0], *strides[1], *mask_strides, 1.0 if scale is None else float(scale),
                               HAS_MASK=mask is not None, MASK_IS_BOOL=mask_is_bool, CAUSAL=bool(causal),
                               LOG=bool(log), **constexprs, **options)

        prepare_launch()
        launch_tuned("softmax", softmax_key(n_cols, x.dtype), default, launch, config)
    return result


def log_softmax(x, dim=-1, **kwargs):
    """``softmax(x, dim, log=True, **kwargs)``: log-softmax with the same options."""
    return softmax(x, dim, log=True, **kwargs)


def softmax_backward(grad_out, out, dim=-1, *, log=False, scale=None, grad_in=None, config=None):
    """Gradient of ``softmax``/``log_softmax`` with respect to ``x``.

    Args:
        grad_out: gradient of the forward's output, its shape; float32/float16/bfloat16.
        out: the forward's output (softmax probabilities, or log-probabilities when ``log``).
        dim (int, optional): the forward's dim. Default: ``-1``.
        log (bool, optional): the forward was log-softmax. Default: ``False``.
        scale (float, optional): the forward's scale (the gradient is multiplied by it).
        grad_in (DeviceArray, optional): where to write, ``out``'s shape and ``grad_out``'s dtype.
        config (dict, optional): as in ``softmax``.

    Returns:
        DeviceArray ``dx`` of ``out``'s shape and ``grad_out``'s dtype (the mask's gradient, when
        it is a float mask, is ``dx / scale``).
    """
    if isinstance(grad_out, np.ndarray) and isinstance(out, np.ndarray):
        return softmax_backward_reference(grad_out, out, dim, log=log, scale=scale).astype(grad_out.dtype)
    grad_out, out = device_array(grad_out, "grad_out"), device_array(out, "out")
    check_float(grad_out, "grad_out")
    check_float(out, "out")
    if grad_out.shape != out.shape:
        raise ValueError(f"grad_out {grad_out.shape} and out {out.shape} must have one shape")
    dim = _normalize_dim(dim, out.ndim, out.shape)
    if out.ndim == 0:
        grad_in = None if grad_in is None else device_array(grad_in, "grad_in").reshape(1)
        return softmax_backward(grad_out.reshape(1), out.reshape(1), 0, log=log, scale=scale, grad_in=grad_in,
                                config=config).reshape(())
    dx = empty_like(out, grad_out.dtype) if grad_in is None else check_out(grad_in, out.shape, grad_out.dtype, "grad_in")
    layout = _rows_layout([grad_out, out, dx], dim)
    if layout is None:
        tmp = softmax_backward(grad_out.contiguous(), out.contiguous(), dim, log=log, scale=scale, config=config)
        return dx.copy_(tmp) if grad_in is not None else tmp
    R0, R1, strides = layout
    n_cols = out.shape[dim]
    if R0 * R1 and n_cols:
        default = softmax_default_config(n_cols, backward=True)

        def launch(config):
            constexprs, options = split_config(config)
            _softmax_bwd[(R0 * R1,)](grad_out, out, dx, n_cols, R1, *strides[0], *strides[1], *strides[2],
                                     1.0 if scale is None else float(scale), LOG=bool(log),
                                     LOOPED=constexprs["BLOCK_N"] < n_cols, **constexprs, **options)

        prepare_launch()
        launch_tuned("softmax_backward", softmax_key(n_cols, out.dtype), default, launch, config)
    return dx


# -- numpy twins -----------------------------------------------------------------------------------
def softmax_reference(x, dim=-1, scale=None, mask=None, causal=False, log=False):
    """``softmax(scale * x + mask)`` (or its log) along ``dim`` in float64; fully masked rows are NaN."""
    z = np.asarray(x, np.float64) * (1.0 if scale is None else scale)
    if mask is not None:
        mask = np.asarray(mask)
        z = np.where(mask, z, -np.inf) if mask.dtype == np.bool_ else z + mask.astype(np.float64)
    if causal:
        rows, cols = z.shape[-2:]
        z = np.where(np.arange(cols)[None, :] <= np.arange(rows)[:, None], z, -np.inf)
    if z.size == 0:
        return z
    with np.errstate(invalid="ignore", divide="ignore"):
        z = z - z.max(axis=dim, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=dim, keepdims=True)
        return z - np.log(total) if log else e / total


def softmax_backward_reference(grad_out, out, dim=-1, log=False, scale=None):
    """Gradient of softmax/log-softmax in float64 from the output ``out`` and its gradient."""
    g, y = np.asarray(grad_out, np.float64), np.asarray(out, np.float64)
    if log:
        dx = g - np.exp(y) * g.sum(axis=dim, keepdims=True)
    else:
        dx = y * (g - (g * y).sum(axis=dim, keepdims=True))
    return dx * (1.0 if scale is None else scale)
