"""Data-parallel scaling on this machine: train-step time of 1 vs N processes, tritorch beside PyTorch.

    python scripts/bench_ddp.py                      # MLP and char-transformer, 1 and 2 processes
    python scripts/bench_ddp.py --models mlp --steps 30 --json

Each process trains one replica on its own batch of the same size (weak scaling: the global batch
grows with the processes) with one BLAS/OpenMP thread, through DistributedDataParallel: tritorch's
over MPI, PyTorch's (when installed) over gloo, both started by the same mpiexec. The table gives
the median step time on rank 0 and the scaling efficiency: the N-process throughput over N times
the one-process one (1.0 = perfect). Not a test: times depend on the machine and its load.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

MODELS = {"mlp": "MLP 784-256-10, batch 64 per process",
          "gpt": "char GPT 4 layers x 128, 4 heads, block 64, batch 12 per process"}


def build(lib, kind):
    nn, F = lib.nn, lib.nn.functional
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        return model, lambda g: (lib.randn(64, 784, generator=g), lib.randint(0, 10, (64,), generator=g))

    class Block(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
            x = x + self.proj(y)
            return x + self.out(F.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self, vocab=65, d=128, layers=4, heads=4, block=64):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(block, d)
            self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(layers)])
            self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab)

        def forward(self, idx):
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            return self.head(self.ln(self.blocks(x))).reshape(-1, 65)

    return GPT(), lambda g: (lib.randint(0, 65, (12, 64), generator=g), lib.randint(0, 65, (12 * 64,), generator=g))


def worker(lib_name, kind, steps):
    """One rank: prints rank 0's median step time (s) as JSON."""
    rank, world = int(os.environ.get("PMI_RANK", 0)), int(os.environ.get("PMI_SIZE", 1))
    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(1)
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=os.environ.get("BENCH_PORT", "29533"),
                          RANK=str(rank), WORLD_SIZE=str(world))
        from torch.nn.parallel import DistributedDataParallel as DDP
    else:
        import tritorch as lib
        from tritorch.nn.parallel import DistributedDataParallel as DDP
    import importlib
    dist = importlib.import_module(f"{lib_name}.distributed")
    dist.init_process_group("gloo")
    lib.manual_seed(0)
    model, batch = build(lib, kind)
    ddp = DDP(model)
    opt = lib.optim.AdamW(ddp.parameters(), lr=1e-3)
    g = lib.Generator().manual_seed(rank)
    times = []
    for step in range(steps):
        x, y = batch(g)
        dist.barrier()
        t0 = time.perf_counter()
        loss = lib.nn.functional.cross_entropy(ddp(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    if rank == 0:
        print(json.dumps({"median_s": statistics.median(times[max(1, steps // 5):])}))
    dist.destroy_process_group()


def measure(lib_name, kind, procs, steps, port):
    mpi = shutil.which("mpiexec") or shutil.which("mpirun")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "BENCH_PORT": str(port)}
    env.pop("TRITON_INTERPRET", None)
    cmd = [mpi, "-n", str(procs), sys.executable, os.path.abspath(__file__), "--worker", lib_name, kind, str(steps)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["median_s"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--procs", type=int, default=2, help="the process count compared with 1 (default 2)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", nargs=3, metavar=("LIB", "MODEL", "STEPS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.worker[0], args.worker[1], int(args.worker[2]))
    if not (shutil.which("mpiexec") or shutil.which("mpirun")):
        sys.exit("error: no mpiexec: pip install -e '.[distributed]'")
    try:
        import torch  # noqa: F401
        libs = ["tritorch", "torch"]
    except ImportError:
        libs = ["tritorch"]
    rows, port = [], 29533
    for kind in args.models:
        for lib_name in libs:
            port += 1
            one = measure(lib_name, kind, 1, args.steps, port)
            port += 1
            many = measure(lib_name, kind, args.procs, args.steps, port)
            rows.append({"model": kind, "library": lib_name, "step_ms_1": one * 1e3, f"step_ms_{args.procs}": many * 1e3,
                         "efficiency": one / many})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"weak scaling, 1 vs {args.procs} processes, one thread each; median train step on rank 0")
    print(f"{'model':<6} {'library':<9} {'1 proc ms':>10} {f'{args.procs} procs ms':>11} {'efficiency':>10}")
    for r in rows:
        print(f"{r['model']:<6} {r['library']:<9} {r['step_ms_1']:>10.2f} {r[f'step_ms_{args.procs}']:>11.2f} "
              f"{r['efficiency']:>10.2f}")
    for kind in args.models:
        print(f"  {kind}: {MODELS[kind]}")


if __name__ == "__main__":
    main()
