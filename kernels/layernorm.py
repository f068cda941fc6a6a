"""Layer norm and RMS norm over the trailing dims, forward and backward, with a fused residual add.

``y = (h - mean) * rstd * weight + bias`` (layer norm) or ``y = h * rstd * weight`` (RMS norm),
where ``h = x + residual`` when a residual is given (else ``h = x``), the statistics are taken
over the last ``len(normalized_shape)`` dims (N elements per row), ``rstd = 1 / sqrt(var + eps)``
(``var`` the biased variance; the mean square for RMS norm). Storage is float32/float16/bfloat16,
math float32. The forward also returns the per-row mean and rstd (float32) and, with a residual,
``h`` itself (the next residual stream of a pre-norm transformer block).

Rows of up to ``BLOCK_N`` elements are normalised in registers in one read; longer rows (the
default above ``MAX_FUSED``) loop over ``BLOCK_N`` columns: a pass for the mean, one for the
variance, one to write. Tests force a small ``BLOCK_N`` to reach the looped path.

Backward, given ``xhat = (h - mean) * rstd`` and ``wdy = weight * dy``:
``dh = rstd * (wdy - xhat * mean(xhat * wdy) - mean(wdy))`` (RMS: no last term),
``dweight = sum_rows(dy * xhat)``, ``dbias = sum_rows(dy)``. The dx kernel gives each program
``ROWS_PER_PROGRAM`` rows and one column block and keeps its dweight/dbias partial sums in
registers; a second kernel sums the partials. No atomics: the result does not depend on
scheduling. Looped rows first get their two row means from a small statistics kernel.
"""
from typing import NamedTuple, Optional

import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import DeviceArray, empty

from ._harness import (bucket, check_float, check_out, device_array, launch_tuned, prepare_launch,
                       split_config)
from ._rows import rows_out, rows_view

MAX_FUSED = 16384  # elements per row normalised in one block by default
MAX_FUSED_BACKWARD = 8192  # the backward holds x, dy and w: longer rows loop (16,384 in one block spilled)
LOOP_BLOCK = 4096
PARTIAL_GROUPS = 256  # about this many programs (row groups) in the backward


class NormOutput(NamedTuple):
    """What ``layer_norm``/``rms_norm`` return: ``output`` (x's shape and dtype), ``mean`` and
    ``rstd`` (float32, x's leading shape; ``mean`` is None for RMS norm) and ``pre_norm``
    (``x + residual`` in x's dtype, None without a residual)."""
    output: object
    mean: Optional[object]
    rstd: object
    pre_norm: Optional[object]


def machine_epsilon(dtype):
    """``finfo(dtype).eps`` for float32/float16/bfloat16 (numpy's finfo does not know bfloat16)."""
    return 2.0 ** -7 if np.dtype(dtype).name == "bfloat16" else float(np.finfo(dtype).eps)


# -- autotuning search space ---------------------------------------------------------------------
def layer_norm_configs(n_cols):
    """Candidate forward configs (dicts) for rows of ``n_cols``; the backward adds ROWS_PER_PROGRAM."""
    blocks = [triton.next_power_of_2(n_cols)] if n_cols <= MAX_FUSED else [1024, 2048, 4096, 8192]
    return [dict(BLOCK_N=b, num_warps=w) for b in blocks for w in (1, 2, 4, 8, 16) if w * 32 <= max(b, 32)]


def layer_norm_backward_configs(n_cols):
    """Candidate backward configs: forward configs times rows per program."""
    return [dict(c, ROWS_PER_PROGRAM=r) for c in layer_norm_configs(n_cols) for r in (4, 8, 16, 32)]


def layer_norm_key(n_cols, dtype, n_rows=None):
    """The autotune cache key (layer_norm, rms_norm; the backward kernels also bucket ``n_rows``)."""
    rows = "" if n_rows is None else f"|M{bucket(n_rows)}"
    return f"{np.dtype(dtype)}{rows}|N{bucket(n_cols)}"


def layer_norm_default_config(n_cols, n_rows=None):
    """The config used when the cache has none; with ``n_rows``, the backward's (ROWS_PER_PROGRAM too)."""
    block = triton.next_power_of_2(max(n_cols, 1)) if n_cols <= MAX_FUSED else LOOP_BLOCK
    if n_rows is not None and block > MAX_FUSED_BACKWARD:
        block = MAX_FUSED_BACKWARD
    config = dict(BLOCK_N=block, num_warps=max(1, min(16, block // 256)))
    if n_rows is not None:
        config["ROWS_PER_PROGRAM"] = max(1, triton.cdiv(n_rows, PARTIAL_GROUPS))
    return config


# -- kernels ---------------------------------------------------------------------------------------
@triton.jit
def _row_input(x_row, r_row, h_row, cols, N, stride_xc, stride_rc, stride_hc,
               HAS_RESIDUAL: tl.constexpr, STORE_H: tl.constexpr):
    """h = x (+ r) for the columns ``cols`` of one row, float32, 0 past the end; stores h if STORE_H."""
    mask = cols < N
    h = tl.load(x_row + cols.to(tl.int64) * stride_xc, mask=mask, other=0.0).to(tl.float32)
    if HAS_RESIDUAL:
        h += tl.load(r_row + cols.to(tl.int64) * stride_rc, mask=mask, other=0.0).to(tl.float32)
        if STORE_H:
            tl.store(h_row + cols.to(tl.int64) * stride_hc, h.to(h_row.dtype.element_ty), mask=mask)
    return h


@triton.jit
def _row_output(y_row, w_ptr, b_ptr, xhat, cols, N, stride_yc,
                HAS_WEIGHT: tl.constexpr, HAS_BIAS: tl.constexpr):
    mask = cols < N
    y = xhat
    if HAS_WEIGHT:
        y = y * tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    if HAS_BIAS:
        y = y + tl.load(b_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_row + cols.to(tl.int64) * stride_yc, y.to(y_row.dtype.element_ty), mask=mask)


@triton.jit
def _norm_fwd(x_ptr, r_ptr, h_ptr, y_ptr, w_ptr, b_ptr, mean_ptr, rstd_ptr, N,
              stride_xr, stride_xc, stride_rr, stride_rc, stride_hr, stride_hc, stride_yr, stride_yc, eps,
              RMS: tl.constexpr, HAS_RESIDUAL: tl.constexpr, HAS_WEIGHT: tl.constexpr, HAS_BIAS: tl.constexpr,
              LOOPED: tl.constexpr, BLOCK_N: tl.constexpr):
    """One row per program. x_ptr, r_ptr, h_ptr, y_ptr: [rows, N] (strided); w_ptr, b_ptr: [N]
    contiguous; mean_ptr, rstd_ptr: [rows] float32 (mean unused for RMS)."""
    row = tl.program_id(0).to(tl.int64)
    x_row, r_row = x_ptr + row * stride_xr, r_ptr + row * stride_rr
    h_row, y_row = h_ptr + row * stride_hr, y_ptr + row * stride_yr
    if LOOPED:
        acc = tl.zeros((BLOCK_N,), tl.float32)
        for start in range(0, N, BLOCK_N):  # pass 1: the mean (and h = x + r is stored)
            cols = start + tl.arange(0, BLOCK_N)
            h = _row_input(x_row, r_row, h_row, cols, N, stride_xc, stride_rc, stride_hc, HAS_RESIDUAL, True)
            acc += h if not RMS else h * h
        mean = 0.0 if RMS else tl.sum(acc, axis=0) / N
        if RMS:
            var = tl.sum(acc, axis=0) / N
        else:
            acc = tl.zeros((BLOCK_N,), tl.float32)
            for start in range(0, N, BLOCK_N):  # pass 2: the variance about the mean
                cols = start + tl.arange(0, BLOCK_N)
                h = _row_input(x_row, r_row, h_row, cols, N, stride_xc, stride_rc, stride_hc, HAS_RESIDUAL, False)
                d = tl.where(cols < N, h - mean, 0.0)
                acc += d * d
            var = tl.sum(acc, axis=0) / N
        rstd = 1.0 / tl.sqrt(var + eps)
        for start in range(0, N, BLOCK_N):  # pass 3: write
            cols = start + tl.arange(0, BLOCK_N)
            h = _row_input(x_row, r_row, h_row, cols, N, stride_xc, stride_rc, stride_hc, HAS_RESIDUAL, False)
            _row_output(y_row, w_ptr, b_ptr, (h - mean) * rstd, cols, N, stride_yc, HAS_WEIGHT, HAS_BIAS)
    else:
        cols = tl.arange(0, BLOCK_N)
        h = _row_input(x_row, r_row, h_row, cols, N, stride_xc, stride_rc, stride_hc, HAS_RESIDUAL, True)
        mean = 0.0 if RMS else tl.sum(h, axis=0) / N
        d = tl.where(cols < N, h - mean, 0.0)
        rstd = 1.0 / tl.sqrt(tl.sum(d * d, axis=0) / N + eps)
        _row_output(y_row, w_ptr, b_ptr, d * rstd, cols, N, stride_yc, HAS_WEIGHT, HAS_BIAS)
    if not RMS:
        tl.store(mean_ptr + row, mean)
    tl.store(rstd_ptr + row, rstd)


@triton.jit
def _xhat_wdy(x_row, dy_row, w_ptr, cols, N, mean, rstd, stride_xc, stride_dyc, HAS_WEIGHT: tl.constexpr):
    """(xhat, dy, weight * dy) for ``cols`` of one row, float32, 0 past the end."""
    mask = cols < N
    x = tl.load(x_row + cols.to(tl.int64) * stride_xc, mask=mask, other=0.0).to(tl.float32)
    dy = tl.load(dy_row + cols.to(tl.int64) * stride_dyc, mask=mask, other=0.0).to(tl.float32)
    xhat = tl.where(mask, (x - mean) * rstd, 0.0)
    wdy = dy
    if HAS_WEIGHT:
        wdy = dy * tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    return xhat, dy, wdy


@triton.jit
def _norm_bwd_stats(x_ptr, dy_ptr, w_ptr, mean_ptr, rstd_ptr, c_ptr, N,
                    stride_xr, stride_xc, stride_dyr, stride_dyc,
                    RMS: tl.constexpr, HAS_WEIGHT: tl.constexpr, BLOCK_N: tl.constexpr):
    """Looped rows: c_ptr[row] = (mean(xhat * wdy), mean(wdy)), float32 [rows, 2]. One row per program."""
    row = tl.program_id(0).to(tl.int64)
    mean = 0.0 if RMS else tl.load(mean_ptr + row)
    rstd = tl.load(rstd_ptr + row)
    acc1 = tl.zeros((BLOCK_N,), tl.float32)
    acc2 = tl.zeros((BLOCK_N,), tl.float32)
    for start in range(0, N, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N)
        xhat, dy, wdy = _xhat_wdy(x_ptr + row * stride_xr, dy_ptr + row * stride_dyr, w_ptr, cols, N, mean, rstd,
                                  stride_xc, stride_dyc, HAS_WEIGHT)
        acc1 += xhat * wdy
        acc2 += wdy
    tl.store(c_ptr + 2 * row, tl.sum(acc1, axis=0) / N)
    tl.store(c_ptr + 2 * row + 1, tl.sum(acc2, axis=0) / N)


@triton.jit
def _norm_bwd(x_ptr, dy_ptr, w_ptr, mean_ptr, rstd_ptr, c_ptr, dx_ptr, dh_ptr, pw_ptr, pb_ptr,
              M, N, rows_per_program,
              stride_xr, stride_xc, stride_dyr, stride_dyc, stride_dxr, stride_dxc, stride_dhr, stride_dhc,
              RMS: tl.constexpr, HAS_WEIGHT: tl.constexpr, HAS_BIAS: tl.constexpr, HAS_DH: tl.constexpr,
              LOOPED: tl.constexpr, BLOCK_N: tl.constexpr):
    """dx for ``rows_per_program`` rows and one column block per program, plus that block's
    partial dweight/dbias sums. Grid (row groups, column blocks).

    x_ptr (the normalised input h), dy_ptr, dx_ptr, dh_ptr (extra gradient of h, added): [M, N];
    w_ptr: [N]; mean_ptr, rstd_ptr: [M]; c_ptr: [M, 2] (LOOPED only); pw_ptr, pb_ptr: [groups, N] float32.
    """
    group = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    acc_w = tl.zeros((BLOCK_N,), tl.float32)
    acc_b = tl.zeros((BLOCK_N,), tl.float32)
    for i in range(0, rows_per_program):
        row = group.to(tl.int64) * rows_per_program + i
        valid = row < M
        n_valid = tl.where(valid, N, 0)  # past the last row, every column is masked
        mask = cols < n_valid
        mean = 0.0 if RMS else tl.load(mean_ptr + row, mask=valid, other=0.0)
        rstd = tl.load(rstd_ptr + row, mask=valid, other=0.0)
        xhat, dy, wdy = _xhat_wdy(x_ptr + row * stride_xr, dy_ptr + row * stride_dyr, w_ptr, cols,
                                  n_valid, mean, rstd, stride_xc, stride_dyc, HAS_WEIGHT)
        if LOOPED:
            c1 = tl.load(c_ptr + 2 * row, mask=valid, other=0.0)
            c2 = tl.load(c_ptr + 2 * row + 1, mask=valid, other=0.0)
        else:
            c1 = tl.sum(xhat * wdy, axis=0) / N
            c2 = tl.sum(wdy, axis=0) / N
        dx = wdy - xhat * c1 if RMS else wdy - xhat * c1 - c2
        dx = dx * rstd
        if HAS_DH:
            dh = tl.load(dh_ptr + row * stride_dhr + cols.to(tl.int64) * stride_dhc, mask=mask, other=0.0)
            dx += dh.to(tl.float32)
        tl.store(dx_ptr + row * stride_dxr + cols.to(tl.int64) * stride_dxc, dx.to(dx_ptr.dtype.element_ty), mask=mask)
        acc_w += dy * xhat
        acc_b += dy
    if HAS_WEIGHT:
        tl.store(pw_ptr + group.to(tl.int64) * N + cols, acc_w, mask=cols < N)
    if HAS_BIAS:
        tl.store(pb_ptr + group.to(tl.int64) * N + cols, acc_b, mask=cols < N)


@triton.jit
def _column_sum(p_ptr, out_ptr, G, N, BLOCK_G: tl.constexpr, BLOCK_N: tl.constexpr):
    """out[c] = sum_g p[g, c]: the second stage of the dweight/dbias reduction, in a fixed order.
    p_ptr: [G, N] float32 contiguous; out_ptr: [N]."""
    cols = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    acc = tl.zeros((BLOCK_G, BLOCK_N), tl.float32)
    for start in range(0, G, BLOCK_G):
        groups = start + tl.arange(0, BLOCK_G)
        mask = (groups[:, None] < G) & (cols[None, :] < N)
        acc += tl.load(p_ptr + groups[:, None].to(tl.int64) * N + cols[None, :], mask=mask, other=0.0)
    tl.store(out_ptr + cols, tl.sum(acc, axis=0).to(out_ptr.dtype.element_ty), mask=cols < N)


# -- launchers -------------------------------------------------------------------------------------
def _normalized(x, normalized_shape, name="x"):
    """``(lead shape, N)`` for normalising ``x`` over ``normalized_shape``; ValueError if it does not end x."""
    shape = (int(normalized_shape),) if np.isscalar(normalized_shape) else tuple(int(n) for n in normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"normalized_shape {shape} must match the last dims of {name}, got shape {x.shape}")
    n = int(np.prod(shape))
    if n == 0:
        raise ValueError(f"normalized_shape {shape} must have at least one element")
    return x.shape[:x.ndim - k], shape, n


def _param(p, shape, name):
    if p is None:
        return None
    p = device_array(p, name)
    check_float(p, name)
    if p.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (normalized_shape), got {p.shape}")
    return p.contiguous().reshape(-1)


def _or(array, stand_in):
    """``array``, or ``stand_in`` for an absent operand (a pointer the kernel never reads)."""
    return stand_in if array is None else array


def _forward(x, normalized_shape, weight, bias, eps, residual, out, rms, config):
    x = device_array(x, "x")
    check_float(x, "x")
    lead, shape, n = _normalized(x, normalized_shape)
    weight, bias = _param(weight, shape, "weight"), _param(bias, shape, "bias")
    if eps is None:
        eps = machine_epsilon(x.dtype)
    if residual is not None:
        residual = device_array(residual, "residual")
        check_float(residual, "residual")
        if residual.shape != x.shape:
            raise ValueError(f"residual must have x's shape {x.shape}, got {residual.shape}")
    y = empty(x.shape, x.dtype) if out is None else check_out(out, x.shape, x.dtype)
    m = int(np.prod(lead, dtype=np.int64))
    y2d = rows_out(y, (m, n))
    if y2d is None:  # an out= layout with no 2-D view: compute into a temporary, then copy
        weight, bias = (None if p is None else p.reshape(shape) for p in (weight, bias))
        result = _forward(x, shape, weight, bias, eps, residual, None, rms, config)
        return result._replace(output=y.copy_(result.output))
    mean = None if rms else empty(lead, np.float32)
    rstd = empty(lead, np.float32)
    h = empty(x.shape, x.dtype) if residual is not None else None
    if m:
        x2d = rows_view(x, n)
        r2d = rows_view(residual, n) if residual is not None else x2d
        h2d = h.reshape(m, n) if h is not None else x2d
        name = "rms_norm" if rms else "layer_norm"
        default = layer_norm_default_config(n)

        def launch(config):
            constexprs, options = split_config(config)
            _norm_fwd[(m,)](x2d, r2d, h2d, y2d, _or(weight, x2d), _or(bias, x2d), _or(mean, rstd), rstd, n,
                            *x2d.strides, *r2d.strides, *h2d.strides, *y2d.strides, float(eps),
                            RMS=rms, HAS_RESIDUAL=residual is not None, HAS_WEIGHT=weight is not None,
                            HAS_BIAS=bias is not None, LOOPED=constexprs["BLOCK_N"] < n, **constexprs, **options)

        prepare_launch()
        launch_tuned(name, layer_norm_key(n, x.dtype), default, launch, config)
    return NormOutput(y, mean, rstd, h)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5, *, residual=None, out=None, config=None):
    """Layer norm over the trailing ``normalized_shape`` dims, optionally of ``x + residual``.

    Args:
        x (DeviceArray or DLPack/CUDA-array-interface array): ``(*lead, *normalized_shape)``,
            float32/float16/bfloat16, any strides.
        normalized_shape (int or tuple of int): the trailing dims normalised together (N elements).
        weight, bias (optional): ``normalized_shape``, any float dtype. Default: ``None``.
        eps (float, optional): added to the variance. Default: ``1e-5``.
        residual (optional): x's shape; the kernel normalises ``h = x + residual`` and returns h too.
        out (DeviceArray, optional): x's shape and dtype, any strides.
        config (dict, optional): ``{"BLOCK_N": ..., "num_warps": ...}``; ``BLOCK_N < N`` loops.

    Returns:
        ``NormOutput(output, mean, rstd, pre_norm)``: output like x; mean and rstd float32 ``lead``;
        pre_norm ``x + residual`` (x's dtype) or None. Numpy inputs run the float64 twin (numpy out).
    """
    if isinstance(x, np.ndarray):
        ref = layer_norm_reference(x, normalized_shape, weight, bias, eps, residual=residual)
        return ref._replace(output=ref.output.astype(x.dtype),
                            pre_norm=None if ref.pre_norm is None else ref.pre_norm.astype(x.dtype))
    return _forward(x, normalized_shape, weight, bias, eps, residual, out, False, config)


def rms_norm(x, normalized_shape, weight=None, eps=None, *, residual=None, out=None, config=None):
    """RMS norm ``x * rstd * weight``, ``rstd = 1 / sqrt(mean(x^2) + eps)``, optionally of ``x + residual``.

    Args are ``layer_norm``'s (no bias); ``eps`` defaults to ``finfo(x.dtype).eps`` as in
    ``torch.nn.functional.rms_norm``. Returns ``NormOutput`` with ``mean`` None.
    """
    if isinstance(x, np.ndarray):
        ref = rms_norm_reference(x, normalized_shape, weight, eps, residual=residual)
        return ref._replace(output=ref.output.astype(x.dtype),
                            pre_norm=None if ref.pre_norm is None else ref.pre_norm.astype(x.dtype))
    return _forward(x, normalized_shape, weight, None, eps, residual, out, True, config)


def _backward(grad_out, x, mean, rstd, weight, has_bias, grad_pre_norm, normalized_shape, rms, config):
    grad_out, x = device_array(grad_out, "grad_out"), device_array(x, "x")
    check_float(grad_out, "grad_out")
    check_float(x, "x")
    if grad_out.shape != x.shape:
        raise ValueError(f"grad_out {grad_out.shape} and x {x.shape} must have one shape")
    lead, shape, n = _normalized(x, x.shape[-1:] if normalized_shape is None else normalized_shape)
    weight = _param(weight, shape, "weight")
    stats = [rstd] if rms else [mean, rstd]
    stats = [device_array(s, "rstd" if s is rstd else "mean") for s in stats]
    for s in stats:
        if s.shape != lead or s.dtype != np.float32:
            raise ValueError(f"mean/rstd must be float32 of shape {lead}, got {s.dtype} {s.shape}")
    m = int(np.prod(lead, dtype=np.int64))
    x2d, dy2d = rows_view(x, n), rows_view(grad_out, n)
    mean2d = None if rms else stats[0].contiguous().reshape(-1)
    rstd2d = stats[-1].contiguous().reshape(-1)
    dx = empty(x.shape, x.dtype)
    dx2d = dx.reshape(m, n)
    dh2d = None
    if grad_pre_norm is not None:
        dh = device_array(grad_pre_norm, "grad_pre_norm")
        if dh.shape != x.shape:
            raise ValueError(f"grad_pre_norm must have x's shape {x.shape}, got {dh.shape}")
        dh2d = rows_view(dh, n)
    name = "rms_norm_backward" if rms else "layer_norm_backward"
    default = layer_norm_default_config(n, m)

    def launch(config):
        """(weight partials, bias partials): (groups, n) float32, groups set by the config."""
        constexprs, options = split_config(config)
        rows_per_program = constexprs.pop("ROWS_PER_PROGRAM", None) or max(1, triton.cdiv(m, PARTIAL_GROUPS))
        block_n = constexprs["BLOCK_N"]
        groups = triton.cdiv(m, rows_per_program)
        looped = block_n < n
        pw = empty((groups, n), np.float32) if weight is not None else None
        pb = empty((groups, n), np.float32) if has_bias else None
        if m:
            prepare_launch()
            c = x2d
            if looped:
                c = empty((m, 2), np.float32)
                _norm_bwd_stats[(m,)](x2d, dy2d, _or(weight, x2d), _or(mean2d, rstd2d), rstd2d, c, n, *x2d.strides,
                                      *dy2d.strides, RMS=rms, HAS_WEIGHT=weight is not None, **constexprs, **options)
            _norm_bwd[(groups, triton.cdiv(n, block_n))](
                x2d, dy2d, _or(weight, x2d), _or(mean2d, rstd2d), rstd2d, c, dx2d, _or(dh2d, x2d),
                _or(pw, rstd2d), _or(pb, rstd2d),
                m, n, rows_per_program, *x2d.strides, *dy2d.strides, *dx2d.strides, *_or(dh2d, x2d).strides,
                RMS=rms, HAS_WEIGHT=weight is not None, HAS_BIAS=has_bias, HAS_DH=dh2d is not None,
                LOOPED=looped, **constexprs, **options)
        return pw, pb

    pw, pb = launch_tuned(name, layer_norm_key(n, x.dtype, m), default, launch, config)
    dweight = None if weight is None else _sum_partials(pw, weight.dtype).reshape(shape)
    dbias = None if not has_bias else _sum_partials(pb, weight.dtype if weight is not None else x.dtype).reshape(shape)
    return dx, dweight, dbias


def _sum_partials(partial, dtype, block_g=32, block_n=64):
    """Column sums of the float32 ``(groups, N)`` partials, as ``dtype``; zeros when there are no rows."""
    groups, n = partial.shape
    out = empty((n,), dtype)
    if groups == 0:
        return out.zero_()
    prepare_launch()
    _column_sum[(triton.cdiv(n, block_n),)](partial, out, groups, n, BLOCK_G=block_g, BLOCK_N=block_n)
    return out


def layer_norm_backward(grad_out, x, mean, rstd, weight=None, *, has_bias=False, grad_pre_norm=None,
                        normalized_shape=None, config=None):
    """Gradients of ``layer_norm``.

    Args:
        grad_out: gradient of the output, x's shape.
        x: the normalised input (the forward's ``pre_norm`` when it had a residual).
        mean, rstd: the forward's float32 statistics.
        weight (optional): the forward's weight. has_bias (bool): also return dbias.
        grad_pre_norm (optional): gradient reaching ``pre_norm`` from elsewhere; added to dx.
        normalized_shape (optional): default the last dim of x.
        config (dict, optional): ``{"BLOCK_N", "ROWS_PER_PROGRAM", "num_warps"}``.

    Returns:
        ``(dx, dweight, dbias)``: dx x's shape and dtype (with a residual it is the gradient of
        both x and residual); dweight/dbias ``normalized_shape`` in weight's dtype, or None.
    """
    return _backward(grad_out, x, mean, rstd, weight, has_bias, grad_pre_norm, normalized_shape, False, config)


def rms_norm_backward(grad_out, x, rstd, weight=None, *, grad_pre_norm=None, normalized_shape=None, config=None):
    """Gradients of ``rms_norm``: ``(dx, dweight)``; arguments as in ``layer_norm_backward``."""
    dx, dweight, _ = _backward(grad_out, x, None, rstd, weight, False, grad_pre_norm, normalized_shape, True, config)
    return dx, dweight


# -- numpy twins -----------------------------------------------------------------------------------
def _reference(x, normalized_shape, weight, bias, eps, residual, rms):
    h = np.asarray(x, np.float64)
    if residual is not None:
        h = h + np.asarray(residual, np.float64)
    shape = (int(normalized_shape),) if np.isscalar(normalized_shape) else tuple(normalized_shape)
    axes = tuple(range(h.ndim - len(shape), h.ndim))
    if eps is None:
        eps = machine_epsilon(np.asarray(x).dtype)
    mean = 0.0 if rms else h.mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(((h - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
    y = (h - mean) * rstd
    if weight is not None:
        y = y * np.asarray(weight, np.float64)
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    lead = h.shape[:h.ndim - len(shape)]
    return NormOutput(y, None if rms else mean.reshape(lead), rstd.reshape(lead),
                      h if residual is not None else None)


def layer_norm_reference(x, normalized_shape, weight=None, bias=None, eps=1e-5, residual=None):
    """``layer_norm`` in float64 (numpy): ``NormOutput`` of float64 arrays."""
    return _reference(x, normalized_shape, weight, bias, eps, residual, False)


def rms_norm_reference(x, normalized_shape, weight=None, eps=None, residual=None):
    """``rms_norm`` in float64 (numpy): ``NormOutput`` with ``mean`` None."""
    return _reference(x, normalized_shape, weight, None, eps, residual, True)


def layer_norm_backward_reference(grad_out, x, normalized_shape, weight=None, eps=1e-5, rms=False):
    """``(dx, dweight, dbias)`` in float64 from the forward's input ``x`` (h) alone; dweight None
    without weight. Statistics are recomputed here, so this checks the kernel's saved ones too."""
    h, dy = np.asarray(x, np.float64), np.asarray(grad_out, np.float64)
    shape = (int(normalized_shape),) if np.isscalar(normalized_shape) else tuple(normalized_shape)
    axes = tuple(range(h.ndim - len(shape), h.ndim))
    lead_axes = tuple(range(h.ndim - len(shape)))
    ref = _reference(x, shape, None, None, eps, None, rms)
    xhat = ref.output
    rstd = ref.rstd.reshape(ref.rstd.shape + (1,) * len(shape))
    wdy = dy * np.asarray(weight, np.float64) if weight is not None else dy
    dx = wdy - xhat * (xhat * wdy).mean(axis=axes, keepdims=True)
    if not rms:
        dx = dx - wdy.mean(axis=axes, keepdims=True)
    dweight = (dy * xhat).sum(axis=lead_axes) if weight is not None else None
    return dx * rstd, dweight, dy.sum(axis=lead_axes)
