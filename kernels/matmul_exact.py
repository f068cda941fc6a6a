"""Matrix products for the dtypes ``tl.dot`` does not take everywhere: float64, integers, bool.

``C[b] = A[b] @ B[b]`` with broadcast batch dims (stride 0) and any strides, accumulated in
float64 (float64) or int64 (integers, bool: ``C != 0`` for bool, numpy's logical matmul). The
product of a tile is a broadcast multiply and a sum over K (no tensor cores): exact for
integers, IEEE float64 for floats, and slow compared with ``kernels.matmul``; float32, float16
and bfloat16 products go through ``kernels.matmul``.

The numpy twin and test oracle is the CPU backend's ``matmul`` (``np.matmul``).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import empty

from ._harness import prepare_launch

BLOCK_M = BLOCK_N = BLOCK_K = 16


@triton.jit
def _matmul_exact(a_ptr, b_ptr, c_ptr, M, N, K, stride_ab, stride_am, stride_ak, stride_bb, stride_bk, stride_bn,
                  stride_cb, stride_cm, stride_cn, ACC: tl.constexpr,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """c_ptr[b, m, n] = sum_k a_ptr[b, m, k] * b_ptr[b, k, n]; a 1-D grid of batch x N tiles x M tiles
    (dims 1 and 2 of a grid stop at 65,535: a batch of 70,000 would not launch); int64 offsets."""
    pid = tl.program_id(0)
    tiles_m, tiles_n = tl.cdiv(M, BLOCK_M), tl.cdiv(N, BLOCK_N)
    offs_m = (pid % tiles_m) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = ((pid // tiles_m) % tiles_n) * BLOCK_N + tl.arange(0, BLOCK_N)
    batch = (pid // (tiles_m * tiles_n)).to(tl.int64)
    rows, cols = offs_m.to(tl.int64), offs_n.to(tl.int64)
    acc = tl.zeros((BLOCK_M, BLOCK_N), ACC)
    for k in range(0, K, BLOCK_K):
        offs_k = k + tl.arange(0, BLOCK_K)
        a = tl.load(a_ptr + batch * stride_ab + rows[:, None] * stride_am + offs_k[None, :] * stride_ak,
                    mask=(offs_m[:, None] < M) & (offs_k[None, :] < K), other=0).to(ACC)
        b = tl.load(b_ptr + batch * stride_bb + offs_k[:, None] * stride_bk + cols[None, :] * stride_bn,
                    mask=(offs_k[:, None] < K) & (offs_n[None, :] < N), other=0).to(ACC)
        acc += tl.sum(a[:, :, None] * b[None, :, :], axis=1)
    tl.store(c_ptr + batch * stride_cb + rows[:, None] * stride_cm + cols[None, :] * stride_cn,
             acc.to(c_ptr.dtype.element_ty), mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


def matmul_exact(a, b):
    """``a @ b`` for DeviceArrays ``(..., M, K)`` and ``(..., K, N)`` of one dtype (float64, an
    integer type or bool); numpy's batch broadcasting. Returns a new contiguous array."""
    batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
    out = empty(batch + (M, N), a.dtype)
    if out.numel() == 0:
        return out
    if K == 0:
        return out.zero_()
    a = _batched(a.broadcast_to(batch + (M, K)), M, K)
    b = _batched(b.broadcast_to(batch + (K, N)), K, N)
    c = out.reshape(-1, M, N)
    acc = tl.float64 if a.dtype == np.float64 else tl.int64
    prepare_launch()
    grid = (triton.cdiv(M, BLOCK_M) * triton.cdiv(N, BLOCK_N) * c.shape[0],)
    _matmul_exact[grid](a, b, c, M, N, K, *a.strides, *b.strides, *c.strides, ACC=acc,
                        BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, BLOCK_K=BLOCK_K)
    return out


def _batched(x, rows, cols):
    """``x`` (..., rows, cols) as (batch, rows, cols): a view when its batch dims merge, else a copy."""
    try:
        return x.reshape(-1, rows, cols)
    except ValueError:
        return x.contiguous().reshape(-1, rows, cols)
