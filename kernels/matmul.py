"""Fused matrix multiplication: ``C = act(A @ B + bias) (+ residual)``, and its backward.

* A ``(..., M, K)`` and B ``(..., K, N)`` with numpy-broadcast batch dimensions (a broadcast
  operand gets batch stride 0) and any element strides, so transposed or sliced operands are
  read in place. Batch dimensions that cannot share one stride are looped over in Python.
* float32 (IEEE by default, TF32 with ``precision="tf32"``), float16 and bfloat16 inputs with
  float32 accumulation; C has the inputs' dtype.
* Epilogue: bias ``(N,)``, activation (``none``, ``relu``, ``gelu``, ``gelu_tanh``, ``silu``), then a
  residual broadcastable to C; optionally also store the pre-activation Z for the backward pass.
* Tiles are visited in groups of ``GROUP_M`` rows of tiles so that neighbouring programs reuse
  the same B columns from L2 (Triton tutorial 03).

Backward of ``C = act(Z) + R, Z = A @ B + bias``: ``dZ = dC * act'(Z)`` (one elementwise
kernel, skipped for ``none``), ``dA = dZ @ B^T``, ``dB = A^T @ dZ`` (the same matmul kernel on
transposed views), ``dbias = dZ`` summed over rows, and broadcast batch dimensions summed away.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import as_dtype, empty, get_device_capability, is_emulated
from tritorch.cuda.layout import collapse_dims

from ._harness import (activation_code, activation_grad, activation_grad_reference, activation_reference,
                       apply_activation, bucket, check_config, check_float, check_out, device_array, launch_tuned,
                       prepare_launch, split_config)

PRECISIONS = ("ieee", "tf32")
MATMUL_KEYS = ("BLOCK_M", "BLOCK_N", "BLOCK_K", "GROUP_M")


# -- autotuning search space ---------------------------------------------------------------------
def matmul_configs():
    """Candidate configs for ``_matmul_fwd`` (dicts; see ``kernels._harness``)."""
    configs = [dict(BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk, GROUP_M=8, num_warps=w, num_stages=s)
               for bm in (64, 128, 256) for bn in (64, 128, 256) for bk in (32, 64)
               for w in (4, 8) for s in (3, 4, 5)]
    return [c for c in configs if keep_config(c)]


HOPPER_SHARED = 232448  # bytes of shared memory a block may opt in to on sm_90, the most of any target


def keep_config(config):
    """Prune configs that waste registers or shared memory on Hopper-class GPUs, and those whose
    pipelined 16-bit A and B tiles (``num_stages * (BLOCK_M + BLOCK_N) * BLOCK_K * 2`` bytes) can never
    fit (e.g. 128x256x64 with 5 stages: 245,760 B)."""
    if config["num_stages"] * (config["BLOCK_M"] + config["BLOCK_N"]) * config["BLOCK_K"] * 2 > HOPPER_SHARED:
        return False
    tile = config["BLOCK_M"] * config["BLOCK_N"]
    if tile >= 256 * 128 and config["num_warps"] < 8:
        return False
    return not (tile <= 64 * 64 and config["num_warps"] > 4)


def matmul_key(M, N, K, dtype, precision="ieee"):
    """The autotune cache key of an ``(M, K) @ (K, N)`` product: dtype, precision and shape buckets."""
    return f"{np.dtype(dtype)}|{precision}|M{bucket(M)}|N{bucket(N)}|K{bucket(K)}"


def matmul_default_config(M, N, K, dtype, capability=None):
    """The config used when the cache has none: a heuristic on the shape, dtype and the GPU's
    ``(major, minor)`` capability (None or (0, 0) when unknown or emulated).

    float32 on sm_8x gets 64x128 tiles on 4 warps: 128x128 (also with BLOCK_K 16 or two stages)
    spilled 4-44 B per thread there with the full epilogue (bias + GELU + residual + saved Z), and
    128x64 on 8 warps 168 B in the backward's ``A^T @ dZ`` (Triton 3.9); 64x128 compiles without
    spills for the forward and both gradient products under 3.6 and 3.9 (scripts/compile_check.py)."""
    if max(M, N) <= 64:
        return dict(BLOCK_M=32, BLOCK_N=32, BLOCK_K=32, GROUP_M=8, num_warps=4, num_stages=3)
    if dtype == np.float32 and capability is not None and (8, 0) <= tuple(capability) < (9, 0):
        return dict(BLOCK_M=64, BLOCK_N=128, BLOCK_K=32, GROUP_M=8, num_warps=4, num_stages=3)
    block_k = 32 if dtype == np.float32 else 64
    return dict(BLOCK_M=128, BLOCK_N=128, BLOCK_K=block_k, GROUP_M=8, num_warps=8, num_stages=3)


# -- kernels ---------------------------------------------------------------------------------------
@triton.jit
def _matmul_fwd(a_ptr, b_ptr, c_ptr, bias_ptr, res_ptr, z_ptr,
                M, N, K,
                stride_ab, stride_am, stride_ak,
                stride_bb, stride_bk, stride_bn,
                stride_cb, stride_cm, stride_cn,
                stride_bias,
                stride_rb, stride_rm, stride_rn,
                stride_zb, stride_zm, stride_zn,
                HAS_BIAS: tl.constexpr, HAS_RESIDUAL: tl.constexpr, SAVE_Z: tl.constexpr,
                ACTIVATION: tl.constexpr, INPUT_PRECISION: tl.constexpr, UPCAST: tl.constexpr,
                BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr):
    """C[b] = act(A[b] @ B[b] + bias) + R[b]; Z[b] = A[b] @ B[b] + bias when SAVE_Z.

    a_ptr: [batch, M, K]; b_ptr: [batch, K, N]; c_ptr, res_ptr, z_ptr: [batch, M, N]; bias_ptr: [N].
    Program ``pid`` computes tile ``pid % tiles`` of batch ``pid // tiles``.
    """
    pid = tl.program_id(0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    pid_b = pid // (num_pid_m * num_pid_n)
    pid = pid % (num_pid_m * num_pid_n)
    # Grouped ordering: GROUP_M rows of tiles are walked column by column.
    num_pid_in_group = GROUP_M * num_pid_n
    first_pid_m = (pid // num_pid_in_group) * GROUP_M
    group_size_m = tl.minimum(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    batch = pid_b.to(tl.int64)
    # int64 row and column offsets: rows * stride passes 2^31 for an LM head's (tokens, vocab) output
    # or a transposed (K, N) weight view with K * N >= 2^31 (int32 products would wrap silently).
    rows, cols = offs_m.to(tl.int64), offs_n.to(tl.int64)
    a_ptrs = a_ptr + batch * stride_ab + rows[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + batch * stride_bb + offs_k[:, None] * stride_bk + cols[None, :] * stride_bn
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < k_left), other=0.0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < k_left) & (offs_n[None, :] < N), other=0.0)
        if UPCAST:  # Triton's interpreter miscomputes bfloat16 dots; bf16 products are exact in fp32
            a = a.to(tl.float32)
            b = b.to(tl.float32)
        acc = tl.dot(a, b, acc, input_precision=INPUT_PRECISION)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk

    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    if HAS_BIAS:
        bias = tl.load(bias_ptr + cols * stride_bias, mask=offs_n < N, other=0.0)
        acc += bias.to(tl.float32)[None, :]
    if SAVE_Z:
        z_ptrs = z_ptr + batch * stride_zb + rows[:, None] * stride_zm + cols[None, :] * stride_zn
        tl.store(z_ptrs, acc.to(z_ptr.dtype.element_ty), mask=mask)
    acc = apply_activation(acc, ACTIVATION)
    if HAS_RESIDUAL:
        r_ptrs = res_ptr + batch * stride_rb + rows[:, None] * stride_rm + cols[None, :] * stride_rn
        acc += tl.load(r_ptrs, mask=mask, other=0.0).to(tl.float32)
    c_ptrs = c_ptr + batch * stride_cb + rows[:, None] * stride_cm + cols[None, :] * stride_cn
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _activation_bwd(g_ptr, z_ptr, dz_ptr, n_elements, n_cols,
                    stride_gr, stride_gc, stride_zr, stride_zc,
                    ACTIVATION: tl.constexpr, BLOCK: tl.constexpr):
    """dZ = dC * act'(Z). g_ptr, z_ptr: [rows, n_cols] (strided); dz_ptr: [rows, n_cols] contiguous."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    row = offs // n_cols
    col = offs % n_cols
    g = tl.load(g_ptr + row * stride_gr + col * stride_gc, mask=mask, other=0.0).to(tl.float32)
    z = tl.load(z_ptr + row * stride_zr + col * stride_zc, mask=mask, other=0.0).to(tl.float32)
    tl.store(dz_ptr + offs, (g * activation_grad(z, ACTIVATION)).to(dz_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _sum_rows(x_ptr, out_ptr, n_rows, n_cols, stride_r, stride_c,
              BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr):
    """out[c] = sum_r x[r, c] in float32. x_ptr: [n_rows, n_cols] (strided); out_ptr: [n_cols]."""
    offs_c = tl.program_id(0) * BLOCK_C + tl.arange(0, BLOCK_C)
    offs_r = tl.arange(0, BLOCK_R)
    acc = tl.zeros((BLOCK_R, BLOCK_C), dtype=tl.float32)
    for start in range(0, n_rows, BLOCK_R):
        rows = start + offs_r
        mask = (rows[:, None] < n_rows) & (offs_c[None, :] < n_cols)
        ptrs = x_ptr + rows[:, None].to(tl.int64) * stride_r + offs_c[None, :] * stride_c
        acc += tl.load(ptrs, mask=mask, other=0.0).to(tl.float32)
    tl.store(out_ptr + offs_c, tl.sum(acc, axis=0).to(out_ptr.dtype.element_ty), mask=offs_c < n_cols)


# -- launchers -------------------------------------------------------------------------------------
def matmul(a, b, *, bias=None, residual=None, activation="none", out=None, precision="ieee",
           return_preactivation=False, config=None):
    """``act(a @ b + bias) + residual`` in one kernel.

    Args:
        a (DeviceArray or DLPack/CUDA-array-interface array): ``(..., M, K)``, float32/float16/bfloat16.
        b: ``(..., K, N)``, same dtype as ``a``; batch dims broadcast against ``a``'s.
        bias (optional): ``(N,)``, any float dtype. Default: ``None``.
        residual (optional): broadcastable to the output ``(*batch, M, N)``, added after the activation.
        activation (str, optional): ``none``, ``relu``, ``gelu``, ``gelu_tanh`` or ``silu``. Default: ``"none"``.
        out (DeviceArray, optional): ``(*batch, M, N)`` of ``a``'s dtype, any strides; must not
            overlap the inputs. Default: a new contiguous array.
        precision (str, optional): float32 dot precision, ``"ieee"`` or ``"tf32"``. Default: ``"ieee"``.
        return_preactivation (bool, optional): also return ``Z = a @ b + bias`` (for the backward).
        config (dict, optional): force a config (BLOCK_M, BLOCK_N, BLOCK_K, GROUP_M, num_warps, num_stages).

    Returns:
        DeviceArray ``(*batch, M, N)`` of ``a``'s dtype (and Z when ``return_preactivation``). Called
        with numpy arrays, it runs the float64 numpy twin and returns numpy arrays of ``a``'s dtype.
    """
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        result = matmul_reference(a, b, bias=bias, residual=residual, activation=activation,
                                  return_preactivation=return_preactivation)
        if return_preactivation:
            return tuple(r.astype(a.dtype) for r in result)
        return result.astype(a.dtype)
    code = activation_code(activation)
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    a, b = device_array(a, "a"), device_array(b, "b")
    check_float(a, "a")
    check_float(b, "b")
    if a.dtype != b.dtype:
        raise TypeError(f"a and b must have one dtype, got {a.dtype} (shape {a.shape}) and {b.dtype} (shape {b.shape})")
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"matmul needs a (..., M, K) and b (..., K, N) of at least 2 dims, got {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul shapes do not match: a {a.shape} @ b {b.shape} (K {a.shape[-1]} != {b.shape[-2]})")
    try:
        batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    except ValueError:
        raise ValueError(f"matmul batch dims do not broadcast: a {a.shape}, b {b.shape}") from None
    M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
    shape = batch + (M, N)
    if bias is not None:
        bias = device_array(bias, "bias")
        check_float(bias, "bias")
        if bias.shape != (N,):
            raise ValueError(f"bias must have shape ({N},) for a {a.shape} @ b {b.shape}, got {bias.shape}")
    if residual is not None:
        residual = device_array(residual, "residual")
        check_float(residual, "residual")
        try:
            residual = residual.broadcast_to(shape)
        except ValueError:
            raise ValueError(f"residual of shape {residual.shape} does not broadcast to the output {shape}") from None
    out = empty(shape, a.dtype) if out is None else check_out(out, shape, a.dtype)
    z = empty(shape, a.dtype) if return_preactivation else None
    if config is not None:
        check_config(config, "matmul", MATMUL_KEYS, dot_keys=("BLOCK_M", "BLOCK_N", "BLOCK_K"))
    if out.numel():
        prepare_launch()
        flags = dict(HAS_BIAS=bias is not None, HAS_RESIDUAL=residual is not None, SAVE_Z=z is not None,
                     ACTIVATION=code, INPUT_PRECISION=precision if a.dtype == np.float32 else "tf32",
                     UPCAST=is_emulated() and a.dtype == as_dtype("bfloat16"))
        default = matmul_default_config(M, N, K, a.dtype, get_device_capability())
        launch_tuned("matmul", matmul_key(M, N, K, a.dtype, precision), default,
                     lambda c: _launch(a.broadcast_to(batch + (M, K)), b.broadcast_to(batch + (K, N)), out, bias,
                                       residual, z, flags, c), config)
    return (out, z) if return_preactivation else out


def _launch(a, b, c, bias, residual, z, flags, config):
    """Launch over the batch dims of these (already broadcast) views, collapsing what shares a stride."""
    operands = [x for x in (a, b, c, residual, z) if x is not None]
    batch, strides = collapse_dims(c.shape[:-2], *[x.strides[:-2] for x in operands])
    if len(batch) > 1:  # the batch dims cannot be addressed with one stride: peel the outermost
        for i in range(c.shape[0]):
            _launch(a[i], b[i], c[i], bias, None if residual is None else residual[i],
                    None if z is None else z[i], flags, config)
        return
    batch_size = batch[0] if batch else 1
    batch_stride = dict(zip([id(x) for x in operands], [s[0] if batch else 0 for s in strides]))

    def args(x):  # pointer, batch stride, row stride, column stride; c stands in for absent operands
        return (c, 0, 0, 0) if x is None else (x, batch_stride[id(x)], x.strides[-2], x.strides[-1])

    M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
    constexprs, options = split_config(config)
    grid = (batch_size * triton.cdiv(M, constexprs["BLOCK_M"]) * triton.cdiv(N, constexprs["BLOCK_N"]),)
    a_args, b_args, c_args, r_args, z_args = args(a), args(b), args(c), args(residual), args(z)
    _matmul_fwd[grid](a_args[0], b_args[0], c_args[0], c if bias is None else bias, r_args[0], z_args[0],
                      M, N, K, *a_args[1:], *b_args[1:], *c_args[1:], 0 if bias is None else bias.strides[0],
                      *r_args[1:], *z_args[1:], **flags, **constexprs, **options)


def matmul_backward(grad_out, a, b, preactivation=None, *, activation="none", has_bias=False,
                    grad_a=True, grad_b=True, precision="ieee", config=None):
    """Gradients of ``C = act(a @ b + bias) (+ residual)`` with respect to a, b and bias.

    Args:
        grad_out: ``dC``, shape ``(*batch, M, N)``, the forward's dtype.
        a, b: the forward's inputs, ``(..., M, K)`` and ``(..., K, N)``.
        preactivation: ``Z`` from ``matmul(..., return_preactivation=True)``; required unless
            ``activation == "none"``.
        activation (str): the forward's activation.
        has_bias (bool): also return ``dbias`` ``(N,)``.
        grad_a, grad_b (bool): compute ``da`` / ``db`` (else return None in its place).
        precision, config: as in ``matmul``, for the two gradient matmuls.

    Returns:
        ``(da, db, dbias)``: DeviceArrays shaped like ``a``, ``b`` and ``(N,)``, or None where not asked.
        The residual's gradient is ``grad_out`` itself (summed over its broadcast dims).
    """
    code = activation_code(activation)
    grad_out, a, b = device_array(grad_out, "grad_out"), device_array(a, "a"), device_array(b, "b")
    check_float(grad_out, "grad_out")
    if activation == "none":
        dz = grad_out
    else:
        if preactivation is None:
            raise ValueError(f"activation {activation!r} needs the preactivation Z (matmul(..., return_preactivation=True))")
        z = device_array(preactivation, "preactivation")
        if z.shape != grad_out.shape:
            raise ValueError(f"preactivation {z.shape} and grad_out {grad_out.shape} must have one shape")
        dz = _activation_backward(grad_out, z, code)
    kwargs = dict(precision=precision, config=config)
    da = db = dbias = None
    if grad_a:
        da = _sum_to_shape(matmul(dz, b.transpose(-1, -2), **kwargs), a.shape)
    if grad_b:
        if b.ndim == 2 and a.ndim > 2:  # the Linear case: fold the batch into the rows, one matmul
            rows = a.shape[-1], dz.shape[-1]
            db = matmul(_rows(a, rows[0]).T, _rows(dz, rows[1]), **kwargs)
        else:
            db = _sum_to_shape(matmul(a.transpose(-1, -2), dz, **kwargs), b.shape)
    if has_bias:
        dbias = _sum_rows_launch(_rows(dz, dz.shape[-1]))
    return da, db, dbias


def _rows(x, n_cols):
    """``x`` ``(..., n_cols)`` viewed as ``(rows, n_cols)``; a contiguous copy when no view exists."""
    shape = (int(np.prod(x.shape[:-1])), n_cols)
    try:
        return x.reshape(shape)
    except ValueError:
        return x.contiguous().reshape(shape)


def _activation_backward(grad_out, z, code, block=1024):
    """dZ = grad_out * act'(z), contiguous, grad_out's dtype and shape."""
    n_cols = grad_out.shape[-1]
    g, z = _rows(grad_out, n_cols), _rows(z, n_cols)
    dz = empty(g.shape, grad_out.dtype)
    n = dz.numel()
    if n:
        prepare_launch()
        _activation_bwd[(triton.cdiv(n, block),)](g, z, dz, n, n_cols, *g.strides, *z.strides,
                                                  ACTIVATION=code, BLOCK=block)
    return dz.reshape(grad_out.shape)


def _sum_rows_launch(x, block_r=32, block_c=64):
    """Column sums of a 2-D DeviceArray ``x`` (rows, cols), float32 accumulation, ``x``'s dtype."""
    out = empty((x.shape[1],), x.dtype)
    if x.shape[1]:
        prepare_launch()
        _sum_rows[(triton.cdiv(x.shape[1], block_c),)](x, out, x.shape[0], x.shape[1], *x.strides,
                                                       BLOCK_R=block_r, BLOCK_C=block_c)
    return out


def _sum_to_shape(full, shape):
    """Sum a contiguous ``(*batch, R, C)`` gradient over the batch dims that ``shape`` broadcast."""
    shape = tuple(shape)
    lead = full.ndim - len(shape)
    padded = (1,) * lead + shape
    reduced = [d for d in range(full.ndim) if padded[d] == 1 and full.shape[d] != 1]
    if not reduced:
        return full.reshape(shape)
    kept = [d for d in range(full.ndim) if d not in reduced]
    moved = full.permute(reduced + kept).contiguous()
    n_rows = int(np.prod([full.shape[d] for d in reduced]))
    return _sum_rows_launch(moved.reshape(n_rows, -1)).reshape(shape)


# -- numpy twins -----------------------------------------------------------------------------------
def matmul_reference(a, b, bias=None, residual=None, activation="none", return_preactivation=False):
    """``act(a @ b + bias) + residual`` in float64 (numpy); ``(C, Z)`` when ``return_preactivation``."""
    z = np.matmul(np.asarray(a, np.float64), np.asarray(b, np.float64))
    if bias is not None:
        z = z + np.asarray(bias, np.float64)
    c = activation_reference(z, activation)
    if residual is not None:
        c = c + np.asarray(residual, np.float64)
    return (c, z) if return_preactivation else c


def _unbroadcast(x, shape):
    while x.ndim > len(shape):
        x = x.sum(axis=0)
    for d, n in enumerate(shape):
        if n == 1 and x.shape[d] != 1:
            x = x.sum(axis=d, keepdims=True)
    return x


def matmul_backward_reference(grad_out, a, b, preactivation=None, activation="none", has_bias=False):
    """``(da, db, dbias)`` of ``act(a @ b + bias)`` in float64 (numpy); ``dbias`` None without bias."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    dz = np.asarray(grad_out, np.float64)
    if activation != "none":
        dz = dz * activation_grad_reference(preactivation, activation)
    da = _unbroadcast(dz @ np.swapaxes(b, -1, -2), a.shape)
    db = _unbroadcast(np.swapaxes(a, -1, -2) @ dz, b.shape)
    dbias = dz.reshape(-1, dz.shape[-1]).sum(axis=0) if has_bias else None
    return da, db, dbias
