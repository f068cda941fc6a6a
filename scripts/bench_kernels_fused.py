"""Benchmark the fused kernels (layer_norm, rms_norm, attention, cross_entropy) against PyTorch.

    python scripts/bench_kernels_fused.py                  # full sweep, table
    python scripts/bench_kernels_fused.py --quick --json   # small sweep, JSON records on stdout
    python scripts/bench_kernels_fused.py --kernels attention --passes fwd+bwd

Each row: kernel, problem, pass ("fwd" or "fwd+bwd"), tritorch's median time (CUDA events, cold
L2, ``tritorch.cuda.benchmark``), the achieved GB/s (norms, cross-entropy: bytes that must move)
or TFLOP/s (attention: 4 B H Lq Lk D for the forward, 2.5x that for the backward, halved when
causal), PyTorch's time on the same data (DLPack, no copies) and the ratio PyTorch / tritorch
(> 1 means tritorch is faster; the issue's targets are stated this way). Cross-entropy rows also
give the peak memory of one forward+backward for both.

PyTorch's side: ``F.layer_norm``, ``F.rms_norm``, ``F.scaled_dot_product_attention`` restricted to
the flash backend, ``F.cross_entropy``; backward through ``torch.autograd.grad``.

Under TRITON_INTERPRET=1 the device is emulated: toy sizes, no PyTorch, and the times are the
interpreter's: a smoke test of this script, nothing more.
"""
import argparse
import contextlib
import importlib
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_kernels import load_torch  # noqa: E402  (helper-1's script: torch only with a real GPU)

cuda = importlib.import_module("tritorch.cuda")
from tritorch.kernels import (attention, attention_backward, cross_entropy, cross_entropy_backward,  # noqa: E402
                              layer_norm, layer_norm_backward, rms_norm, rms_norm_backward)

BF16 = cuda.as_dtype("bfloat16")


def sizes(args):
    if cuda.is_emulated():
        return dict(norm=[(16, 64)], attention=[(1, 2, 32, 16)], cross_entropy=[(8, 100)])
    if args.quick:
        return dict(norm=[(4096, 1024), (4096, 8192)], attention=[(4, 32, 1024, 128)],
                    cross_entropy=[(4096, 50257)])
    return dict(norm=[(4096, n) for n in (1024, 2048, 4096, 8192, 16384)],
                attention=[(4, 32, s, 128) for s in (1024, 2048, 4096, 8192)],
                cross_entropy=[(4096, v) for v in (32000, 50257, 128256)])


def record(kernel, problem, dtype, passes, ms, work, unit, torch_ms=None, **extra):
    rate = work / (ms * 1e-3) / (1e12 if unit == "TFLOP/s" else 1e9)
    return dict(kernel=kernel, problem=problem, dtype=str(np.dtype(dtype)), passes=passes, ms=ms, rate=rate,
                unit=unit, torch_ms=torch_ms, speedup=None if torch_ms is None else torch_ms / ms, **extra)


def randn(rng, shape, dtype, scale=1.0):
    return cuda.to_device((rng.standard_normal(shape) * scale).astype(dtype))


def bench_norm(kind, rows, cols, dtype, torch, timing, passes):
    rng = np.random.default_rng(0)
    x, dy = randn(rng, (rows, cols), dtype), randn(rng, (rows, cols), dtype)
    w, b = randn(rng, (cols,), dtype), randn(rng, (cols,), dtype)
    rms = kind == "rms_norm"

    def forward():
        return rms_norm(x, cols, w) if rms else layer_norm(x, cols, w, b)

    def forward_backward():
        o = forward()
        if rms:
            return rms_norm_backward(dy, x, o.rstd, w)
        return layer_norm_backward(dy, x, o.mean, o.rstd, w, has_bias=True)

    if torch is not None:
        F = torch.nn.functional
        tx, tdy, tw, tb = (torch.from_dlpack(a) for a in (x, dy, w, b))
        tx.requires_grad_(True), tw.requires_grad_(True), tb.requires_grad_(True)
        params = (tx, tw) if rms else (tx, tw, tb)

        def torch_forward():
            return F.rms_norm(tx, (cols,), tw) if rms else F.layer_norm(tx, (cols,), tw, tb)

        def torch_forward_backward():
            return torch.autograd.grad(torch_forward(), params, tdy)
    rows_out = []
    nbytes = rows * cols * x.itemsize
    for name, fn, work in (("fwd", forward, 2 * nbytes), ("fwd+bwd", forward_backward, 5 * nbytes)):
        if name not in passes:
            continue
        ms = cuda.benchmark(fn, **timing)
        torch_ms = None
        if torch is not None:
            with torch.no_grad() if name == "fwd" else contextlib.nullcontext():
                torch_ms = cuda.benchmark(torch_forward if name == "fwd" else torch_forward_backward, **timing)
        rows_out.append(record(kind, f"{rows}x{cols}", dtype, name, ms, work, "GB/s", torch_ms))
    return rows_out


def bench_attention(shape, dtype, causal, torch, timing, passes):
    batch, heads, seq, dim = shape
    rng = np.random.default_rng(0)
    q, k, v, do = (randn(rng, shape, dtype) for _ in range(4))

    def forward_backward():
        out, lse = attention(q, k, v, causal, return_lse=True)
        return attention_backward(do, q, k, v, out, lse, causal)

    if torch is not None:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        F = torch.nn.functional
        tq, tk, tv, tdo = (torch.from_dlpack(a) for a in (q, k, v, do))
        for t in (tq, tk, tv):
            t.requires_grad_(True)

        def torch_forward():
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                return F.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)

        def torch_forward_backward():
            return torch.autograd.grad(torch_forward(), (tq, tk, tv), tdo)
    flops = 4.0 * batch * heads * seq * seq * dim / (2 if causal else 1)
    rows_out = []
    for name, fn, work in (("fwd", lambda: attention(q, k, v, causal), flops),
                           ("fwd+bwd", forward_backward, 3.5 * flops)):
        if name not in passes:
            continue
        ms = cuda.benchmark(fn, **timing)
        torch_ms = None
        if torch is not None:
            with torch.no_grad() if name == "fwd" else contextlib.nullcontext():
                torch_ms = cuda.benchmark(torch_forward if name == "fwd" else torch_forward_backward, **timing)
        problem = f"B{batch} H{heads} L{seq} D{dim}{' causal' if causal else ''}"
        rows_out.append(record("attention", problem, dtype, name, ms, work, "TFLOP/s", torch_ms))
    return rows_out


def _peak_mib(fn, synchronize, reset, peak):
    """Peak bytes allocated (MiB) above what was live before one call of ``fn``."""
    synchronize()
    reset()
    base = peak()
    fn()
    synchronize()
    return (peak() - base) / 2**20


def bench_cross_entropy(rows, vocab, dtype, torch, timing, passes):
    rng = np.random.default_rng(0)
    logits = randn(rng, (rows, vocab), dtype, scale=3.0)
    target = cuda.to_device(rng.integers(0, vocab, rows))

    def forward_backward():  # the in-place backward, as a training step would call it (logits are dead)
        loss, lse = cross_entropy(logits, target, return_lse=True)
        return cross_entropy_backward(1.0, logits, target, lse, inplace_backward=True)

    if torch is not None:
        F = torch.nn.functional
        tlogits, ttarget = torch.from_dlpack(logits), torch.from_dlpack(target)
        tlogits.requires_grad_(True)

        def torch_forward():
            return F.cross_entropy(tlogits, ttarget)

        def torch_forward_backward():
            return torch.autograd.grad(torch_forward(), (tlogits,))
    nbytes = rows * vocab * logits.itemsize
    rows_out = []
    for name, fn, work in (("fwd", lambda: cross_entropy(logits, target), nbytes),
                           ("fwd+bwd", forward_backward, 3 * nbytes)):
        if name not in passes:
            continue
        ms = cuda.benchmark(fn, **timing)
        extra = dict(peak_mib=_peak_mib(fn, cuda.synchronize, cuda.reset_peak_memory_stats,
                                        cuda.max_memory_allocated))
        torch_ms = None
        if torch is not None:
            torch_fn = torch_forward if name == "fwd" else torch_forward_backward
            with torch.no_grad() if name == "fwd" else contextlib.nullcontext():
                torch_ms = cuda.benchmark(torch_fn, **timing)
                extra["torch_peak_mib"] = _peak_mib(torch_fn, torch.cuda.synchronize,
                                                    torch.cuda.reset_peak_memory_stats, torch.cuda.max_memory_allocated)
        rows_out.append(record("cross_entropy", f"{rows}x{vocab}", dtype, name, ms, work, "GB/s", torch_ms, **extra))
    return rows_out


def print_table(rows):
    header = (f"{'kernel':<14} {'problem':<24} {'dtype':<9} {'pass':<8} {'ms':>9} {'rate':>16} {'torch ms':>9} "
              f"{'speedup':>7} {'peak MiB':>9} {'torch MiB':>9}")
    print(header)
    print("-" * len(header))
    for r in rows:
        fmt = lambda value, spec: "-" if value is None else format(value, spec)  # noqa: E731
        print(f"{r['kernel']:<14} {r['problem']:<24} {r['dtype']:<9} {r['passes']:<8} {r['ms']:>9.4f} "
              f"{r['rate']:>8.2f} {r['unit']:<7} {fmt(r['torch_ms'], '.4f'):>9} {fmt(r['speedup'], '.2f'):>7} "
              f"{fmt(r.get('peak_mib'), '.1f'):>9} {fmt(r.get('torch_peak_mib'), '.1f'):>9}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few sizes")
    parser.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    parser.add_argument("--kernels", default="layer_norm,rms_norm,attention,cross_entropy",
                        help="comma-separated subset")
    parser.add_argument("--passes", default="fwd,fwd+bwd", help="fwd, fwd+bwd or both")
    args = parser.parse_args(argv)
    if not cuda.is_available():
        sys.exit("no GPU: run on a GPU machine, or set TRITON_INTERPRET=1 for a smoke test")
    torch = load_torch()
    timing = dict(warmup=1, rep=2) if cuda.is_emulated() else dict(warmup=10, rep=50)
    emulated = cuda.is_emulated()
    chosen, passes, grid, rows = args.kernels.split(","), args.passes.split(","), sizes(args), []
    for kind in ("layer_norm", "rms_norm"):
        if kind in chosen:
            for dtype in [np.float32] if emulated else [np.float16, BF16]:
                rows += [r for m, n in grid["norm"] for r in bench_norm(kind, m, n, dtype, torch, timing, passes)]
    if "attention" in chosen:
        for dtype in [np.float16] if emulated else [BF16, np.float16]:
            rows += [r for shape in grid["attention"] for causal in (False, True)
                     for r in bench_attention(shape, dtype, causal, torch, timing, passes)]
    if "cross_entropy" in chosen:
        for dtype in [np.float32] if emulated else [BF16, np.float32]:
            rows += [r for m, v in grid["cross_entropy"]
                     for r in bench_cross_entropy(m, v, dtype, torch, timing, passes)]
    meta = dict(device=cuda.get_device_name(), emulated=emulated, torch=None if torch is None else torch.__version__)
    if args.json:
        print(json.dumps(dict(meta=meta, results=rows), indent=1))
    else:
        print(f"device: {meta['device']}   torch: {meta['torch'] or 'not compared'}")
        print_table(rows)


if __name__ == "__main__":
    main()
