"""Scaled dot-product attention, FlashAttention-2 style: forward and backward, never materialising
the (Lq, Lk) score matrix.

``out = dropout(softmax(scale * q @ k^T + mask)) @ v`` per (batch, head), layout
``(batch, heads, seq, head_dim)`` as in ``torch.nn.functional.scaled_dot_product_attention``.

* Forward: one program per (query block, batch * head) walks the key blocks with an online
  softmax (running max and sum, in base 2) and saves the row log-sum-exp (natural log, float32).
* Backward: ``delta = rowsum(dO * O)``; one program per (key block, batch * kv head) accumulates
  dk and dv over every query block of every query head that shares its kv head (GQA without
  atomics); one program per query block accumulates dq. Both recompute ``P = exp(S - LSE)``.
* ``causal``: query i attends keys ``j <= i`` (top-left aligned, ``torch.ones(L, S).tril()``,
  PyTorch's ``is_causal``); key blocks entirely above the diagonal are never visited.
* ``mask``: broadcastable to ``(B, H, Lq, Lk)``; bool (True = attend, as PyTorch) or float (added
  to the scores, not differentiated).
* Dropout: keep element (b, h, i, j) iff ``tl.rand(seed, ((b * H + h) * Lq + i) * Lk + j) >= p``
  (Philox), kept probabilities scaled by ``1 / (1 - p)``; the backward regenerates the same mask.
  ``attention_dropout_mask`` returns it, for tests and debugging.
* GQA: k and v may have ``H_kv`` heads with ``H % H_kv == 0``; query head h reads kv head
  ``h // (H // H_kv)`` (PyTorch's ``enable_gqa``, i.e. ``repeat_interleave``).
* head_dim up to 256, padded to a power of two >= 16 with masks; any sequence lengths.
* A row whose keys are all masked has output 0 and LSE +inf, and gets zero gradients. (PyTorch's
  math backend returns NaN there; 0 keeps padded batches finite.)

fp16/bf16 (and fp32, computed with IEEE dots) storage; float32 softmax and accumulators.
"""
import math

import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import as_dtype, empty, get_device_capability, is_emulated

from ._harness import (bucket, check_config, check_float, check_out, device_array, launch_tuned, prepare_launch,
                       split_config)

LOG2E = 1.4426950408889634
MAX_HEAD_DIM = 256
ATTENTION_KEYS = ("BLOCK_M", "BLOCK_N")  # both are tl.dot dimensions
# GPUs whose opt-in shared memory per block is 101,376 B (sm_86, sm_89, sm_120), not 163 KB or more
SMALL_SHARED = ((8, 6), (8, 9), (12, 0))


# -- autotuning search space ---------------------------------------------------------------------
def attention_configs(head_dim):
    """Candidate forward configs (dicts) for a head_dim; the backward uses the same keys."""
    configs = [dict(BLOCK_M=bm, BLOCK_N=bn, num_warps=w, num_stages=s)
               for bm in (64, 128) for bn in (32, 64, 128) for w in (4, 8) for s in (2, 3, 4)]
    return [c for c in configs if keep_config(c, head_dim)]


def keep_config(config, head_dim):
    """Prune tiles whose q/k/v blocks would not fit in shared memory with this head_dim."""
    d = max(16, triton.next_power_of_2(head_dim))
    tile = (config["BLOCK_M"] + 2 * config["BLOCK_N"] * config["num_stages"]) * d * 2
    return tile <= 200 * 1024 and not (config["BLOCK_M"] * config["BLOCK_N"] >= 128 * 128 and config["num_warps"] < 8)


def attention_backward_configs(head_dim, itemsize=2):
    """Candidate backward configs for a head_dim and element size (bytes): the dk/dv and dq programs
    hold more than the forward (k, v, dO, transposed operands), so their own space and estimate."""
    configs = [dict(BLOCK_M=bm, BLOCK_N=bn, num_warps=w, num_stages=s)
               for bm in (16, 32, 64, 128) for bn in (16, 32, 64, 128) for w in (4, 8) for s in (1, 2, 3)]
    return [c for c in configs if attention_backward_shared(c, head_dim, itemsize) <= 232448
            and not (c["BLOCK_M"] * c["BLOCK_N"] >= 64 * 64 and c["num_warps"] < 8)
            and not (c["BLOCK_M"] * c["BLOCK_N"] <= 32 * 32 and c["num_warps"] > 4)]


def attention_backward_shared(config, head_dim, itemsize=2):
    """Estimated shared memory (bytes) of the dk/dv program: its k and v tiles and the q and dO tiles
    (BLOCK_N and BLOCK_M rows of D) with the (BLOCK_M, BLOCK_N) probability tile transposed through
    shared memory, plus up to two more pipelined q and dO tiles with their LSE and delta rows (the
    compiled kernels never held more than three: D128 M128 N32 s4 needs 224,256 B, not 289,792).
    Fitted to compiled kernels: float32 D128 M32 N32 s1 69,632 B and bf16 D128 M128 N64 s3 247,808 B
    exactly; the tuner prunes by the real compile on a GPU."""
    d = max(16, triton.next_power_of_2(head_dim))
    bm, bn, stages = config["BLOCK_M"], config["BLOCK_N"], config["num_stages"]
    base = (2 * (bm + bn) * d + bm * bn) * itemsize
    return base + max(min(stages, 3) - 1, 0) * (2 * bm * d * itemsize + 8 * bm)


def attention_key(head_dim, seq_len, dtype):
    """The autotune cache key (forward and backward): dtype, head_dim and longest sequence buckets."""
    return f"{np.dtype(dtype)}|D{bucket(head_dim)}|L{bucket(seq_len)}"


def attention_default_config(head_dim, backward=False, dtype=None, capability=None):
    """The config used when the cache has none (``dtype``: q's; None reads as float16/bfloat16;
    ``capability``: the GPU's ``(major, minor)``, None or (0, 0) when unknown or emulated).

    Ampere and Ada (sm_8x: ``mma.sync``, each warp holds its own accumulator rows) get their own
    half-precision tiles: Hopper's spilled 12-84 B per thread there (causal and masked), while 8
    warps (half the accumulator rows per thread), N32 in the forward at head_dim 128 and one stage
    in its backward compile without spills for sm_80 under Triton 3.6 and 3.9
    (scripts/compile_check.py --arch 80).

    float32 runs IEEE dots on CUDA cores, whose operands live in registers: the half-precision tiles
    spill 3-36 KB per thread there (and masked M128 N64 s3 needs 295,424 B of shared memory, over
    Hopper's 232,448), so float32 gets small single-stage tiles that compile without spills for
    sm_90 and sm_80 (scripts/compile_check.py)."""
    ampere = capability is not None and (8, 0) <= tuple(capability) < (9, 0)
    if dtype is not None and np.dtype(dtype) == np.float32:
        if backward and head_dim <= 64:  # M64 N16 spilled 4 B in dq (bool mask, sm_80, 3.9); M32 N16 8 B (sm_90)
            return dict(BLOCK_M=32, BLOCK_N=32, num_warps=8, num_stages=1)
        if backward and head_dim > 128 and capability is not None and tuple(capability) in SMALL_SHARED:
            return dict(BLOCK_M=16, BLOCK_N=16, num_warps=4, num_stages=1)  # M32 N16 needs 102,400 B masked
        # backward at head_dim > 128: M16 N16 w4 spilled 12-24 B in dq with a bool mask (3.6, sm_90 and sm_80).
        # M32 N16 w8: ptxas caps dq at 128 registers and spills 4 B at 256, causal, on sm_80 under 3.6;
        # maxnreg=255 lets it take 160 there (no spill), but costs 12-16 B with a bool mask at 128 on sm_80
        # and on sm_90 at 128 and 256: only Ampere at head_dim > 128 gets it (3.6 and 3.9: no spills)
        big_ampere = ampere and head_dim > 128
        return dict(BLOCK_M=32, BLOCK_N=16, num_warps=8, num_stages=1, **(dict(maxnreg=255) if big_ampere else {}))
    if backward:  # dk, dv (or dq) accumulate in registers: smaller tiles for wide heads
        if head_dim > 128:
            return dict(BLOCK_M=32, BLOCK_N=32, num_warps=8, num_stages=1)
        if head_dim <= 64:  # sm_8x: w4 spilled 12-84 B in dk/dv and dq (masked, causal)
            return dict(BLOCK_M=64, BLOCK_N=64, num_warps=8 if ampere else 4, num_stages=2)
        # M64 spilled dk/dv (causal, sm_90); on sm_8x two stages spilled 16 B in dk/dv (causal, 3.6)
        return dict(BLOCK_M=32, BLOCK_N=64, num_warps=8, num_stages=1 if ampere else 2)
    if head_dim <= 64:
        return dict(BLOCK_M=128, BLOCK_N=64, num_warps=8 if ampere else 4, num_stages=3)
    if head_dim <= 128:
        return dict(BLOCK_M=128, BLOCK_N=32 if ampere else 64, num_warps=8, num_stages=3)
    return dict(BLOCK_M=64, BLOCK_N=32, num_warps=8, num_stages=2)


# -- kernels ---------------------------------------------------------------------------------------
@triton.jit
def _load_tile(base, offs_r, offs_d, n_rows, D, stride_r, stride_d):
    """[len(offs_r), len(offs_d)] tile of a (rows, D) matrix, 0 outside."""
    mask = (offs_r[:, None] < n_rows) & (offs_d[None, :] < D)
    rows = offs_r[:, None].to(tl.int64)  # packed (B, L, 3, H, D) layouts: L * 3 * H * D passes 2^31
    return tl.load(base + rows * stride_r + offs_d[None, :] * stride_d, mask=mask, other=0.0)


@triton.jit
def _split_pid(n_rows, BLOCK: tl.constexpr):
    """``(row block, batch * head)`` of this program in a 1-D grid of ``cdiv(n_rows, BLOCK) * B * H``
    programs, row blocks fastest (neighbours share a head's k/v in L2). Grid dims 1 and 2 stop at
    65,535: ``(blocks, B * H)`` did not launch for batch 8192 x 12 heads."""
    pid = tl.program_id(0)
    blocks = tl.cdiv(n_rows, BLOCK)
    return pid % blocks, pid // blocks


@triton.jit
def _base(ptr, b, h, stride_b, stride_h):
    """Pointer to the (b, h) head of a [B, heads, ...] array."""
    return ptr + b.to(tl.int64) * stride_b + h.to(tl.int64) * stride_h


@triton.jit
def _dot(a, b, UPCAST: tl.constexpr, INPUT_PRECISION: tl.constexpr):
    if UPCAST:  # Triton's interpreter miscomputes bfloat16 dots; bf16 products are exact in fp32
        a = a.to(tl.float32)
        b = b.to(tl.float32)
    return tl.dot(a, b, input_precision=INPUT_PRECISION)


@triton.jit
def _scores(q, k, offs_m, offs_n, LQ, LK, m_base, stride_mm, stride_mn, qk_scale,
            CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr, UPCAST: tl.constexpr, INPUT_PRECISION: tl.constexpr):
    """Scores in base 2, ``log2(e) * (scale * q @ k^T + mask)``, -inf where masked or past LK.
    q: [BLOCK_M, BLOCK_D]; k: [BLOCK_N, BLOCK_D]; MASK_KIND 0 none, 1 bool, 2 additive."""
    s = _dot(q, tl.trans(k), UPCAST, INPUT_PRECISION) * qk_scale
    keep = (offs_m[:, None] >= 0) & (offs_n[None, :] < LK)
    if CAUSAL:
        keep = keep & (offs_n[None, :] <= offs_m[:, None])
    if MASK_KIND != 0:
        inside = (offs_m[:, None] < LQ) & (offs_n[None, :] < LK)
        m = tl.load(m_base + offs_m[:, None].to(tl.int64) * stride_mm + offs_n[None, :].to(tl.int64) * stride_mn,
                    mask=inside, other=0)
        if MASK_KIND == 1:
            keep = keep & (m != 0)
        else:
            s += m.to(tl.float32) * 1.4426950408889634
    return tl.where(keep, s, float("-inf"))


@triton.jit
def _dropout_keep(seed, bh, offs_m, offs_n, LQ, LK, dropout_p):
    """The keep mask of (batch * H + head) ``bh``, rows offs_m, columns offs_n: one Philox draw each."""
    offs = (bh.to(tl.int64) * LQ + offs_m[:, None]) * LK + offs_n[None, :]
    return tl.rand(seed, offs) >= dropout_p


@triton.jit
def _attn_fwd(q_ptr, k_ptr, v_ptr, o_ptr, lse_ptr, m_ptr, H, GROUP, LQ, LK, D,
              stride_qb, stride_qh, stride_qm, stride_qd, stride_kb, stride_kh, stride_kn, stride_kd,
              stride_vb, stride_vh, stride_vn, stride_vd, stride_ob, stride_oh, stride_om, stride_od,
              stride_mb, stride_mh, stride_mm, stride_mn, qk_scale, dropout_p, seed,
              CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr, DROPOUT: tl.constexpr, UPCAST: tl.constexpr,
              INPUT_PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr):
    """q_ptr, o_ptr: [B, H, LQ, D]; k_ptr, v_ptr: [B, H // GROUP, LK, D]; m_ptr: [B, H, LQ, LK]
    (strided, broadcast dims stride 0); lse_ptr: [B, H, LQ] float32 contiguous.
    Grid: q blocks x B * H in dim 0 (``_split_pid``)."""
    pid_m, bh = _split_pid(LQ, BLOCK_M)
    b, h = bh // H, bh % H
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    q_base = _base(q_ptr, b, h, stride_qb, stride_qh)
    k_base = _base(k_ptr, b, h // GROUP, stride_kb, stride_kh)
    v_base = _base(v_ptr, b, h // GROUP, stride_vb, stride_vh)
    m_base = _base(m_ptr, b, h, stride_mb, stride_mh)
    q = _load_tile(q_base, offs_m, offs_d, LQ, D, stride_qm, stride_qd)
    m_i = tl.full((BLOCK_M,), float("-inf"), tl.float32)
    l_i = tl.zeros((BLOCK_M,), tl.float32)
    acc = tl.zeros((BLOCK_M, BLOCK_D), tl.float32)
    hi = tl.minimum(LK, (pid_m + 1) * BLOCK_M) if CAUSAL else LK  # causal: skip blocks above the diagonal
    for start_n in range(0, hi, BLOCK_N):
        offs_n = start_n + tl.arange(0, BLOCK_N)
        k = _load_tile(k_base, offs_n, offs_d, LK, D, stride_kn, stride_kd)
        s = _scores(q, k, offs_m, offs_n, LQ, LK, m_base, stride_mm, stride_mn, qk_scale,
                    CAUSAL, MASK_KIND, UPCAST, INPUT_PRECISION)
        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)  # no -inf - -inf = NaN on masked rows
        p = tl.exp2(s - m_safe[:, None])
        alpha = tl.exp2(m_i - m_safe)
        l_i = l_i * alpha + tl.sum(p, axis=1)
        if DROPOUT:
            p = tl.where(_dropout_keep(seed, bh, offs_m, offs_n, LQ, LK, dropout_p), p, 0.0)
        v = _load_tile(v_base, offs_n, offs_d, LK, D, stride_vn, stride_vd)
        acc = acc * alpha[:, None] + _dot(p.to(v.dtype), v, UPCAST, INPUT_PRECISION)
        m_i = m_new
    empty_row = l_i == 0.0
    out = acc / tl.where(empty_row, 1.0, l_i)[:, None]
    if DROPOUT:
        out = out / (1.0 - dropout_p)
    o_base = _base(o_ptr, b, h, stride_ob, stride_oh)
    mask = (offs_m[:, None] < LQ) & (offs_d[None, :] < D)
    tl.store(o_base + offs_m[:, None].to(tl.int64) * stride_om + offs_d[None, :] * stride_od, out.to(o_ptr.dtype.element_ty),
             mask=mask)
    lse = tl.where(empty_row, float("inf"), (m_i + tl.log2(tl.where(empty_row, 1.0, l_i))) * 0.6931471805599453)
    tl.store(lse_ptr + bh.to(tl.int64) * LQ + offs_m, lse, mask=offs_m < LQ)


@triton.jit
def _attn_bwd_delta(o_ptr, do_ptr, delta_ptr, H, LQ, D,
                    stride_ob, stride_oh, stride_om, stride_od, stride_gb, stride_gh, stride_gm, stride_gd,
                    BLOCK_M: tl.constexpr, BLOCK_D: tl.constexpr):
    """delta[b, h, i] = sum_d O * dO (float32 [B, H, LQ]). o_ptr, do_ptr: [B, H, LQ, D]."""
    pid_m, bh = _split_pid(LQ, BLOCK_M)
    b, h = bh // H, bh % H
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    o = _load_tile(_base(o_ptr, b, h, stride_ob, stride_oh), offs_m, offs_d, LQ, D, stride_om, stride_od).to(tl.float32)
    do = _load_tile(_base(do_ptr, b, h, stride_gb, stride_gh), offs_m, offs_d, LQ, D,
                    stride_gm, stride_gd).to(tl.float32)
    tl.store(delta_ptr + bh.to(tl.int64) * LQ + offs_m, tl.sum(o * do, axis=1), mask=offs_m < LQ)


@triton.jit
def _attn_bwd_dkdv(q_ptr, k_ptr, v_ptr, do_ptr, lse_ptr, delta_ptr, m_ptr, dk_ptr, dv_ptr,
                   H, GROUP, LQ, LK, D,
                   stride_qb, stride_qh, stride_qm, stride_qd, stride_kb, stride_kh, stride_kn, stride_kd,
                   stride_vb, stride_vh, stride_vn, stride_vd, stride_gb, stride_gh, stride_gm, stride_gd,
                   stride_mb, stride_mh, stride_mm, stride_mn, qk_scale, scale, dropout_p, seed,
                   CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr, DROPOUT: tl.constexpr, UPCAST: tl.constexpr,
                   INPUT_PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                   BLOCK_D: tl.constexpr):
    """dk, dv of one key block of one kv head, summed over its GROUP query heads and all query
    blocks. Grid: k blocks x B * H_kv in dim 0. dk_ptr, dv_ptr: [B, H_kv, LK, D] contiguous; others as in
    ``_attn_fwd`` (do_ptr like q_ptr; delta_ptr like lse_ptr)."""
    pid_n, bhk = _split_pid(LK, BLOCK_N)
    H_KV = H // GROUP
    b, hk = bhk // H_KV, bhk % H_KV
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    k = _load_tile(_base(k_ptr, b, hk, stride_kb, stride_kh), offs_n, offs_d, LK, D, stride_kn, stride_kd)
    v = _load_tile(_base(v_ptr, b, hk, stride_vb, stride_vh), offs_n, offs_d, LK, D, stride_vn, stride_vd)
    dk = tl.zeros((BLOCK_N, BLOCK_D), tl.float32)
    dv = tl.zeros((BLOCK_N, BLOCK_D), tl.float32)
    lo = (pid_n * BLOCK_N // BLOCK_M) * BLOCK_M if CAUSAL else 0  # causal: queries before the block see none of it
    for g in range(0, GROUP):
        h = hk * GROUP + g
        bh = b * H + h
        q_base = _base(q_ptr, b, h, stride_qb, stride_qh)
        do_base = _base(do_ptr, b, h, stride_gb, stride_gh)
        m_base = _base(m_ptr, b, h, stride_mb, stride_mh)
        for start_m in range(lo, LQ, BLOCK_M):
            offs_m = start_m + tl.arange(0, BLOCK_M)
            q = _load_tile(q_base, offs_m, offs_d, LQ, D, stride_qm, stride_qd)
            do = _load_tile(do_base, offs_m, offs_d, LQ, D, stride_gm, stride_gd)
            lse = tl.load(lse_ptr + bh.to(tl.int64) * LQ + offs_m, mask=offs_m < LQ, other=float("inf"))
            delta = tl.load(delta_ptr + bh.to(tl.int64) * LQ + offs_m, mask=offs_m < LQ, other=0.0)
            s = _scores(q, k, offs_m, offs_n, LQ, LK, m_base, stride_mm, stride_mn, qk_scale,
                        CAUSAL, MASK_KIND, UPCAST, INPUT_PRECISION)
            p = tl.exp2(s - lse[:, None] * 1.4426950408889634)  # [BLOCK_M, BLOCK_N]
            dp = _dot(do, tl.trans(v), UPCAST, INPUT_PRECISION)
            if DROPOUT:
                keep = _dropout_keep(seed, bh, offs_m, offs_n, LQ, LK, dropout_p)
                p_dropped = tl.where(keep, p / (1.0 - dropout_p), 0.0)
                dp = tl.where(keep, dp / (1.0 - dropout_p), 0.0)
            else:
                p_dropped = p
            dv += _dot(tl.trans(p_dropped).to(do.dtype), do, UPCAST, INPUT_PRECISION)
            ds = p * (dp - delta[:, None])
            dk += _dot(tl.trans(ds).to(q.dtype), q, UPCAST, INPUT_PRECISION)
    out = bhk.to(tl.int64) * LK * D + offs_n[:, None] * D + offs_d[None, :]
    mask = (offs_n[:, None] < LK) & (offs_d[None, :] < D)
    tl.store(dk_ptr + out, (dk * scale).to(dk_ptr.dtype.element_ty), mask=mask)
    tl.store(dv_ptr + out, dv.to(dv_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _attn_bwd_dq(q_ptr, k_ptr, v_ptr, do_ptr, lse_ptr, delta_ptr, m_ptr, dq_ptr,
                 H, GROUP, LQ, LK, D,
                 stride_qb, stride_qh, stride_qm, stride_qd, stride_kb, stride_kh, stride_kn, stride_kd,
                 stride_vb, stride_vh, stride_vn, stride_vd, stride_gb, stride_gh, stride_gm, stride_gd,
                 stride_mb, stride_mh, stride_mm, stride_mn, qk_scale, scale, dropout_p, seed,
                 CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr, DROPOUT: tl.constexpr, UPCAST: tl.constexpr,
                 INPUT_PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                 BLOCK_D: tl.constexpr):
    """dq of one query block. Grid: q blocks x B * H in dim 0 (``_split_pid``).
    dq_ptr: [B, H, LQ, D] contiguous."""
    pid_m, bh = _split_pid(LQ, BLOCK_M)
    b, h = bh // H, bh % H
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    q = _load_tile(_base(q_ptr, b, h, stride_qb, stride_qh), offs_m, offs_d, LQ, D, stride_qm, stride_qd)
    do = _load_tile(_base(do_ptr, b, h, stride_gb, stride_gh), offs_m, offs_d, LQ, D, stride_gm, stride_gd)
    lse = tl.load(lse_ptr + bh.to(tl.int64) * LQ + offs_m, mask=offs_m < LQ, other=float("inf"))
    delta = tl.load(delta_ptr + bh.to(tl.int64) * LQ + offs_m, mask=offs_m < LQ, other=0.0)
    k_base = _base(k_ptr, b, h // GROUP, stride_kb, stride_kh)
    v_base = _base(v_ptr, b, h // GROUP, stride_vb, stride_vh)
    m_base = _base(m_ptr, b, h, stride_mb, stride_mh)
    dq = tl.zeros((BLOCK_M, BLOCK_D), tl.float32)
    hi = tl.minimum(LK, (pid_m + 1) * BLOCK_M) if CAUSAL else LK
    for start_n in range(0, hi, BLOCK_N):
        offs_n = start_n + tl.arange(0, BLOCK_N)
        k = _load_tile(k_base, offs_n, offs_d, LK, D, stride_kn, stride_kd)
        v = _load_tile(v_base, offs_n, offs_d, LK, D, stride_vn, stride_vd)
        s = _scores(q, k, offs_m, offs_n, LQ, LK, m_base, stride_mm, stride_mn, qk_scale,
                    CAUSAL, MASK_KIND, UPCAST, INPUT_PRECISION)
        p = tl.exp2(s - lse[:, None] * 1.4426950408889634)
        dp = _dot(do, tl.trans(v), UPCAST, INPUT_PRECISION)
        if DROPOUT:
            keep = _dropout_keep(seed, bh, offs_m, offs_n, LQ, LK, dropout_p)
            dp = tl.where(keep, dp / (1.0 - dropout_p), 0.0)
        ds = p * (dp - delta[:, None])
        dq += _dot(ds.to(k.dtype), k, UPCAST, INPUT_PRECISION)
    mask = (offs_m[:, None] < LQ) & (offs_d[None, :] < D)
    out = bh.to(tl.int64) * LQ * D + offs_m[:, None] * D + offs_d[None, :]
    tl.store(dq_ptr + out, (dq * scale).to(dq_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _dropout_mask(out_ptr, LQ, LK, dropout_p, seed, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    """out_ptr: [B * H, LQ, LK] int8, 1 where the attention kernels keep the probability."""
    pid_m, bh = _split_pid(LQ, BLOCK_M)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    for start_n in range(0, LK, BLOCK_N):
        offs_n = start_n + tl.arange(0, BLOCK_N)
        keep = _dropout_keep(seed, bh, offs_m, offs_n, LQ, LK, dropout_p)
        mask = (offs_m[:, None] < LQ) & (offs_n[None, :] < LK)
        tl.store(out_ptr + (bh.to(tl.int64) * LQ + offs_m[:, None]) * LK + offs_n[None, :], keep.to(tl.int8), mask=mask)


# -- launchers -------------------------------------------------------------------------------------
def _check_qkv(q, k, v):
    q, k, v = device_array(q, "q"), device_array(k, "k"), device_array(v, "v")
    for x, name in ((q, "q"), (k, "k"), (v, "v")):
        check_float(x, name)
        if x.ndim != 4:
            raise ValueError(f"{name} must be 4-D (batch, heads, seq, head_dim), got shape {x.shape}")
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"q, k and v must have one dtype, got {q.dtype}, {k.dtype} and {v.dtype}")
    B, H, LQ, D = q.shape
    if k.shape != v.shape or k.shape[0] != B or k.shape[3] != D:
        raise ValueError(f"k and v must have shape ({B}, H_kv, Lk, {D}) for q of shape {q.shape}, "
                         f"got k {k.shape} and v {v.shape}")
    if k.shape[1] == 0 or H % k.shape[1]:
        raise ValueError(f"the {H} query heads must be a multiple of the {k.shape[1]} key/value heads "
                         f"(q {q.shape}, k {k.shape})")
    if D > MAX_HEAD_DIM:
        raise ValueError(f"head_dim {D} is larger than the supported {MAX_HEAD_DIM} (q {q.shape})")
    return q, k, v


def _check_mask(mask, shape):
    """``(mask view broadcast to shape, kind)``: kind 0 none, 1 bool (as int8), 2 float."""
    if mask is None:
        return None, 0
    mask = device_array(mask, "mask")
    is_bool = mask.dtype == np.bool_
    if not is_bool:
        check_float(mask, "mask")
    try:
        mask = mask.broadcast_to(shape)
    except ValueError:
        raise ValueError(f"mask of shape {mask.shape} does not broadcast to (B, H, Lq, Lk) = {shape}") from None
    return (mask.view(np.int8), 1) if is_bool else (mask, 2)


def _check_dropout(dropout_p, seed, need_seed):
    dropout_p = float(dropout_p)
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p}")
    if dropout_p and seed is None:
        if need_seed:
            raise ValueError("dropout_p > 0 needs the forward's seed to regenerate its dropout mask")
        seed = int(np.random.SeedSequence().entropy % 2**31)
    return dropout_p, 0 if seed is None else int(seed) % 2**31


def _flags(q, causal, mask_kind, dropout_p, head_dim):
    return dict(CAUSAL=bool(causal), MASK_KIND=mask_kind, DROPOUT=dropout_p > 0,
                UPCAST=is_emulated() and q.dtype == as_dtype("bfloat16"),
                INPUT_PRECISION="ieee" if q.dtype == np.float32 else "tf32",
                BLOCK_D=max(16, triton.next_power_of_2(head_dim)))


def attention(q, k, v, causal=False, scale=None, mask=None, dropout_p=0.0, seed=None, *, out=None,
              return_lse=False, config=None):
    """``dropout(softmax(scale * q @ k^T + mask)) @ v`` without materialising the scores.

    Args:
        q (DeviceArray or DLPack/CUDA-array-interface array): ``(B, H, Lq, D)``, float16/bfloat16/float32.
        k, v: ``(B, H_kv, Lk, D)``, q's dtype; ``H % H_kv == 0`` (grouped-query attention).
        causal (bool, optional): query i attends keys ``j <= i`` (top-left). Default: ``False``.
        scale (float, optional): Default: ``1 / sqrt(D)``.
        mask (optional): broadcastable to ``(B, H, Lq, Lk)``; bool (True = attend) or float (added).
        dropout_p (float, optional): probability of dropping an attention weight. Default: ``0.0``.
        seed (int, optional): the Philox seed of the dropout mask; pass it to ``attention_backward``.
            Default: a fresh random seed (the backward then cannot regenerate the mask).
        out (DeviceArray, optional): q's shape and dtype, any strides.
        return_lse (bool, optional): also return the float32 ``(B, H, Lq)`` log-sum-exp of the
            scaled, masked scores (natural log; +inf for fully masked rows) that the backward needs.
        config (dict, optional): ``{"BLOCK_M", "BLOCK_N", "num_warps", "num_stages"}``.

    Returns:
        DeviceArray ``(B, H, Lq, D)`` of q's dtype (and the LSE). Fully masked query rows are 0.
        Numpy inputs run the float64 twin (its dropout mask comes from numpy's generator, not Philox).
    """
    if isinstance(q, np.ndarray):
        shape = (q.shape[0], q.shape[1], q.shape[2], k.shape[2])
        keep = np.random.default_rng(seed).random(shape) >= dropout_p if dropout_p else None
        result, lse = attention_reference(q, k, v, causal, scale, mask, dropout_p, keep)
        return (result.astype(q.dtype), lse.astype(np.float32)) if return_lse else result.astype(q.dtype)
    q, k, v = _check_qkv(q, k, v)
    B, H, LQ, D = q.shape
    LK = k.shape[2]
    mask, mask_kind = _check_mask(mask, (B, H, LQ, LK))
    dropout_p, seed = _check_dropout(dropout_p, seed, need_seed=False)
    scale = 1.0 / math.sqrt(D) if scale is None else float(scale)
    result = empty(q.shape, q.dtype) if out is None else check_out(out, q.shape, q.dtype)
    lse = empty((B, H, LQ), np.float32)
    if result.numel():
        default = attention_default_config(D, dtype=q.dtype, capability=get_device_capability())
        if config is not None:
            check_config(config, "attention", ATTENTION_KEYS, dot_keys=ATTENTION_KEYS)
        m = q if mask is None else mask

        def launch(config):
            constexprs, options = split_config(config)
            grid = (triton.cdiv(LQ, constexprs["BLOCK_M"]) * B * H,)
            _attn_fwd[grid](q, k, v, result, lse, m, H, H // k.shape[1], LQ, LK, D, *q.strides, *k.strides,
                            *v.strides, *result.strides, *(m.strides if mask is not None else (0, 0, 0, 0)),
                            scale * LOG2E, dropout_p, seed, **_flags(q, causal, mask_kind, dropout_p, D), **constexprs,
                            **options)

        prepare_launch()
        launch_tuned("attention", attention_key(D, max(LQ, LK), q.dtype), default, launch, config)
    elif LQ:
        lse.fill_(float("inf"))  # no keys: every row is fully masked
    return (result, lse) if return_lse else result


def attention_backward(grad_out, q, k, v, out, lse, causal=False, scale=None, mask=None, dropout_p=0.0, seed=None,
                       *, config=None):
    """Gradients ``(dq, dk, dv)`` of ``attention``.

    Args:
        grad_out: ``(B, H, Lq, D)``, the gradient of the forward's output.
        q, k, v, causal, scale, mask, dropout_p: the forward's arguments.
        out, lse: the forward's output and ``return_lse`` log-sum-exp.
        seed (int): the forward's seed; required when ``dropout_p > 0``.
        config (dict, optional): ``{"BLOCK_M", "BLOCK_N", "num_warps", "num_stages"}``.

    Returns:
        DeviceArrays shaped and typed like q, k and v (dk, dv summed over the query heads that share
        a kv head). The float mask gets no gradient.
    """
    q, k, v = _check_qkv(q, k, v)
    grad_out, out, lse = device_array(grad_out, "grad_out"), device_array(out, "out"), device_array(lse, "lse")
    B, H, LQ, D = q.shape
    LK = k.shape[2]
    if grad_out.shape != q.shape or out.shape != q.shape:
        raise ValueError(f"grad_out {grad_out.shape} and out {out.shape} must have q's shape {q.shape}")
    if lse.shape != (B, H, LQ) or lse.dtype != np.float32:
        raise ValueError(f"lse must be float32 of shape {(B, H, LQ)}, got {lse.dtype} {lse.shape}")
    mask, mask_kind = _check_mask(mask, (B, H, LQ, LK))
    dropout_p, seed = _check_dropout(dropout_p, seed, need_seed=True)
    scale = 1.0 / math.sqrt(D) if scale is None else float(scale)
    lse = lse.contiguous()
    dq, dk, dv = empty(q.shape, q.dtype), empty(k.shape, k.dtype), empty(v.shape, v.dtype)
    if not (q.numel() and k.numel()):
        return dq.zero_(), dk.zero_(), dv.zero_()
    default = attention_default_config(D, backward=True, dtype=q.dtype, capability=get_device_capability())
    if config is not None:
        check_config(config, "attention_backward", ATTENTION_KEYS, dot_keys=ATTENTION_KEYS)
    flags = _flags(q, causal, mask_kind, dropout_p, D)
    delta = empty((B, H, LQ), np.float32)
    m = q if mask is None else mask
    args = (H, H // k.shape[1], LQ, LK, D, *q.strides, *k.strides, *v.strides, *grad_out.strides,
            *(m.strides if mask is not None else (0, 0, 0, 0)), scale * LOG2E, scale, dropout_p, seed)

    def launch(config):  # every output is written whole: a failed tuned config leaves nothing to undo
        constexprs, options = split_config(config)
        q_blocks = triton.cdiv(LQ, constexprs["BLOCK_M"])
        # delta's own row block: two (rows, BLOCK_D) float32 tiles in 4 warps, at most 2048 elements each
        # (the backward's BLOCK_M spilled 4 B here at head_dim 128, float32, sm_90, Triton 3.9; so did 32 rows)
        delta_m = min(constexprs["BLOCK_M"], max(16, 2048 // flags["BLOCK_D"]))
        _attn_bwd_delta[(triton.cdiv(LQ, delta_m) * B * H,)](out, grad_out, delta, H, LQ, D, *out.strides,
                                                             *grad_out.strides, BLOCK_M=delta_m,
                                                             BLOCK_D=flags["BLOCK_D"])
        _attn_bwd_dkdv[(triton.cdiv(LK, constexprs["BLOCK_N"]) * B * k.shape[1],)](
            q, k, v, grad_out, lse, delta, m, dk, dv, *args, **flags, **constexprs, **options)
        _attn_bwd_dq[(q_blocks * B * H,)](q, k, v, grad_out, lse, delta, m, dq, *args, **flags, **constexprs,
                                        **options)

    prepare_launch()
    launch_tuned("attention_backward", attention_key(D, max(LQ, LK), q.dtype), default, launch, config)
    return dq, dk, dv


def attention_dropout_mask(shape, dropout_p, seed, *, config=None):
    """The bool keep mask ``(B, H, Lq, Lk)`` that ``attention(..., dropout_p, seed)`` applies
    (True = kept, then scaled by ``1 / (1 - dropout_p)``). For tests and debugging: it is the
    (Lq, Lk) matrix the kernels never store."""
    B, H, LQ, LK = (int(n) for n in shape)
    dropout_p, seed = _check_dropout(dropout_p, seed, need_seed=True)
    keep = empty((B, H, LQ, LK), np.int8)
    if keep.numel():
        block = (config or {}).get("BLOCK_M", 16), (config or {}).get("BLOCK_N", 64)
        prepare_launch()
        _dropout_mask[(triton.cdiv(LQ, block[0]) * B * H,)](keep, LQ, LK, dropout_p, seed,
                                                         BLOCK_M=block[0], BLOCK_N=block[1])
    return keep.view(np.bool_)


# -- numpy twins -----------------------------------------------------------------------------------
def _probabilities(q, k, causal, scale, mask):
    """float64 ``(P, LSE)`` with GQA heads expanded; fully masked rows have P = 0, LSE = +inf."""
    q, k = np.asarray(q, np.float64), np.asarray(k, np.float64)
    k = np.repeat(k, q.shape[1] // k.shape[1], axis=1)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    keep = np.ones(s.shape, bool)
    if causal:
        keep &= np.tril(np.ones(s.shape[-2:], bool))
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype == np.bool_:
            keep &= mask
        else:
            s = s + mask.astype(np.float64)
    s = np.where(keep, s, -np.inf)
    row_max = s.max(axis=-1, keepdims=True, initial=-np.inf)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)
    e = np.exp(s - row_max)
    total = e.sum(axis=-1, keepdims=True)
    p = e / np.where(total == 0, 1.0, total)
    with np.errstate(divide="ignore"):
        lse = np.where(total == 0, np.inf, row_max + np.log(total))[..., 0]
    return p, lse


def attention_reference(q, k, v, causal=False, scale=None, mask=None, dropout_p=0.0, dropout_mask=None):
    """``(out, lse)`` of ``attention`` in float64 (numpy); ``dropout_mask`` (bool, (B, H, Lq, Lk))
    is the keep mask to apply when ``dropout_p > 0``."""
    p, lse = _probabilities(q, k, causal, scale, mask)
    if dropout_p:
        p = p * dropout_mask / (1.0 - dropout_p)
    v = np.repeat(np.asarray(v, np.float64), p.shape[1] // v.shape[1], axis=1)
    return p @ v, lse


def attention_backward_reference(grad_out, q, k, v, causal=False, scale=None, mask=None, dropout_p=0.0,
                                 dropout_mask=None):
    """``(dq, dk, dv)`` of ``attention`` in float64 (numpy), straight from the definition."""
    group = q.shape[1] // k.shape[1]
    p, _ = _probabilities(q, k, causal, scale, mask)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    g = np.asarray(grad_out, np.float64)
    q = np.asarray(q, np.float64)
    k, v = (np.repeat(np.asarray(a, np.float64), group, axis=1) for a in (k, v))
    keep = dropout_mask / (1.0 - dropout_p) if dropout_p else 1.0
    dv = np.swapaxes(p * keep, -1, -2) @ g
    dp = (g @ np.swapaxes(v, -1, -2)) * keep
    ds = p * (dp - (p * dp).sum(axis=-1, keepdims=True))
    dq = ds @ k * scale
    dk = np.swapaxes(ds, -1, -2) @ q * scale

    def fold(x):  # sum the query heads that share a kv head
        return x.reshape(x.shape[0], -1, group, *x.shape[2:]).sum(axis=2)
    return dq, fold(dk), fold(dv)
