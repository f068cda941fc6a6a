"""Benchmark tritorch's kernels against PyTorch (when importable) and the device copy bandwidth.

    python scripts/bench_kernels.py                 # full sweep, table
    python scripts/bench_kernels.py --quick --json  # small sweep, JSON records on stdout

Each row: the kernel, the problem, tritorch's median time (CUDA events, cold L2), the achieved
TFLOP/s (matmul) or GB/s (softmax, copy), PyTorch's time on the same data (shared through
DLPack) and the ratio tritorch / PyTorch. A device-to-device copy gives the bandwidth ceiling.

Under TRITON_INTERPRET=1 the device is emulated: sizes shrink to toys, PyTorch is not compared,
and the times are the interpreter's, a smoke test of this script and nothing more.
"""
import argparse
import importlib
import json
import sys

import numpy as np

cuda = importlib.import_module("tritorch.cuda")
from tritorch.kernels import matmul, softmax  # noqa: E402


def load_torch():
    """PyTorch with a GPU, or None (emulated device, not installed, or no GPU)."""
    if cuda.is_emulated():
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def sizes(args):
    if cuda.is_emulated():
        return dict(matmul=[32, 64], softmax=[(16, 64)], copy=[1 << 16])
    if args.quick:
        return dict(matmul=[512, 2048], softmax=[(4096, 1024), (1024, 32768)], copy=[1 << 26])
    return dict(matmul=[512, 1024, 2048, 4096, 8192],
                softmax=[(8192, 512), (8192, 2048), (4096, 8192), (2048, 32768), (256, 131072)],
                copy=[1 << 24, 1 << 28, 1 << 30])


def record(kernel, problem, dtype, ms, work, unit, torch_ms=None):
    rate = work / (ms * 1e-3) / (1e12 if unit == "TFLOP/s" else 1e9)
    return dict(kernel=kernel, problem=problem, dtype=str(np.dtype(dtype)), ms=ms, rate=rate, unit=unit, torch_ms=torch_ms,
                ratio=None if torch_ms is None else ms / torch_ms)


def bench_matmul(n, dtype, torch, timing):
    rng = np.random.default_rng(0)
    a = cuda.to_device(rng.standard_normal((n, n)).astype(dtype))
    b = cuda.to_device(rng.standard_normal((n, n)).astype(dtype))
    ms = cuda.benchmark(lambda: matmul(a, b), **timing)
    torch_ms = None
    if torch is not None:
        ta, tb = torch.from_dlpack(a), torch.from_dlpack(b)
        torch_ms = cuda.benchmark(lambda: torch.matmul(ta, tb), **timing)
    return record("matmul", f"{n}x{n}x{n}", dtype, ms, 2.0 * n**3, "TFLOP/s", torch_ms)


def bench_softmax(rows, cols, dtype, torch, timing):
    x = cuda.to_device(np.random.default_rng(0).standard_normal((rows, cols)).astype(dtype))
    ms = cuda.benchmark(lambda: softmax(x), **timing)
    torch_ms = None
    if torch is not None:
        tx = torch.from_dlpack(x)
        torch_ms = cuda.benchmark(lambda: torch.softmax(tx, dim=-1), **timing)
    return record("softmax", f"{rows}x{cols}", dtype, ms, 2.0 * x.numel() * x.itemsize, "GB/s", torch_ms)


def bench_copy(nbytes, torch, timing):
    src, dst = cuda.zeros((nbytes,), np.uint8), cuda.empty((nbytes,), np.uint8)
    ms = cuda.benchmark(lambda: dst.copy_(src), **timing)
    torch_ms = None
    if torch is not None:
        tsrc, tdst = torch.from_dlpack(src), torch.from_dlpack(dst)
        torch_ms = cuda.benchmark(lambda: tdst.copy_(tsrc), **timing)
    return record("copy (device to device)", f"{nbytes >> 20} MiB" if nbytes >= 1 << 20 else f"{nbytes} B",
                  "uint8", ms, 2.0 * nbytes, "GB/s", torch_ms)


def print_table(rows):
    header = f"{'kernel':<24} {'problem':<16} {'dtype':<9} {'ms':>9} {'rate':>16} {'torch ms':>9} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for r in rows:
        torch_ms = "-" if r["torch_ms"] is None else f"{r['torch_ms']:.4f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['kernel']:<24} {r['problem']:<16} {r['dtype']:<9} {r['ms']:>9.4f} "
              f"{r['rate']:>8.2f} {r['unit']:<7} {torch_ms:>9} {ratio:>6}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few small sizes")
    parser.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    parser.add_argument("--kernels", default="matmul,softmax,copy", help="comma-separated subset")
    args = parser.parse_args(argv)
    if not cuda.is_available():
        sys.exit("no GPU: run on a GPU machine, or set TRITON_INTERPRET=1 for a smoke test")
    torch = load_torch()
    timing = dict(warmup=1, rep=2) if cuda.is_emulated() else dict(warmup=10, rep=50)
    dtypes = [np.float32] if cuda.is_emulated() else [np.float16, cuda.as_dtype("bfloat16"), np.float32]
    chosen, grid, rows = args.kernels.split(","), sizes(args), []
    if "copy" in chosen:
        rows += [bench_copy(n, torch, timing) for n in grid["copy"]]
    if "matmul" in chosen:
        rows += [bench_matmul(n, dtype, torch, timing) for dtype in dtypes for n in grid["matmul"]]
    if "softmax" in chosen:
        rows += [bench_softmax(r, c, dtype, torch, timing) for dtype in dtypes for r, c in grid["softmax"]]
    meta = dict(device=cuda.get_device_name(), emulated=cuda.is_emulated(),
                torch=None if torch is None else torch.__version__)
    if args.json:
        print(json.dumps(dict(meta=meta, results=rows), indent=1))
    else:
        print(f"device: {meta['device']}   torch: {meta['torch'] or 'not compared'}")
        print_table(rows)


if __name__ == "__main__":
    main()
