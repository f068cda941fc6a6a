"""Training-step throughput of an MLP, a CNN and a GPT-style model in tritorch and PyTorch eager,
and the per-op overhead of a small elementwise op.

    python scripts/bench_train.py                  # GPU sizes, table
    python scripts/bench_train.py --quick --json   # toy sizes, JSON on stdout
    python scripts/bench_train.py --models gpt --steps 20

One training step = zero_grad, forward, loss, backward, optimizer step (AdamW). Sizes on a GPU:
MLP 784-2048-2048-10 (batch 512, float32); CNN three 3x3 conv + max-pool stages, 64-128-256
channels, 32x32 inputs (batch 128, float32); GPT d_model 768, 12 layers, 12 heads, seq 1024,
vocab 50304, batch 8 under bf16 autocast. The same model code builds both versions (it is written
against PyTorch's API, which tritorch mirrors). Throughput is samples/s (MLP, CNN) or tokens/s
(GPT) over `--steps` steps after `--warmup` steps, timed on the host around a device
synchronisation. `ratio` = tritorch / PyTorch throughput (>= 1 means tritorch is at least as fast).
The overhead rows time `x + x` on a 1024-element tensor in a loop (microseconds per op, including
the output allocation); `ratio` there = tritorch / PyTorch time (<= 2 is the issue's target).

PyTorch is compared whenever it imports, on its GPU if it has one, else on its CPU (the device is
printed). Under TRITON_INTERPRET=1 tritorch's cuda device is emulated and the sizes are toys: the
numbers only show that the script and both code paths run.
"""
import argparse
import contextlib
import importlib
import json
import sys
import time

import tritorch

tcuda = importlib.import_module("tritorch.cuda")

GPU_SIZES = dict(
    mlp=dict(batch=512, dims=(784, 2048, 2048, 10)),
    cnn=dict(batch=128, channels=(3, 64, 128, 256), hw=32, classes=10),
    gpt=dict(batch=8, vocab=50304, d=768, layers=12, heads=12, seq=1024),
)
QUICK_SIZES = dict(
    mlp=dict(batch=8, dims=(16, 32, 32, 10)),
    cnn=dict(batch=2, channels=(3, 4, 8, 8), hw=8, classes=10),
    gpt=dict(batch=2, vocab=64, d=32, layers=2, heads=2, seq=16),
)


# -- models, written once against PyTorch's API ---------------------------------------------------------
def build_mlp(lib, dims):
    nn = lib.nn
    layers = []
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(dims) - 2 else [])
    return nn.Sequential(*layers)


def build_cnn(lib, channels, classes, **_):
    nn = lib.nn
    layers = []
    for a, b in zip(channels, channels[1:]):
        layers += [nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels[-1], classes))


def build_gpt(lib, vocab, d, layers, heads, seq, **_):
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q, k, v = (z.reshape(b, t, heads, d // heads).transpose(1, 2) for z in (q, k, v))  # (B, nh, T, hs)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
            return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(seq, d)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1], device=idx.device))
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln_f(x))

    return GPT()


def batch_for(lib, name, size, device):
    if name == "mlp":
        x = lib.randn(size["batch"], size["dims"][0], device=device)
        return x, lib.randint(0, size["dims"][-1], (size["batch"],), device=device)
    if name == "cnn":
        x = lib.randn(size["batch"], size["channels"][0], size["hw"], size["hw"], device=device)
        return x, lib.randint(0, size["classes"], (size["batch"],), device=device)
    idx = lib.randint(0, size["vocab"], (size["batch"], size["seq"] + 1), device=device)
    return idx[:, :-1].contiguous(), idx[:, 1:].contiguous()


def make_step(lib, name, size, device, amp):
    lib.manual_seed(0)
    build = {"mlp": lambda: build_mlp(lib, size["dims"]), "cnn": lambda: build_cnn(lib, **size),
             "gpt": lambda: build_gpt(lib, **size)}[name]
    model = build().to(device)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-4)
    x, y = batch_for(lib, name, size, device)
    device_type = str(device).split(":")[0]

    def step():
        opt.zero_grad(set_to_none=True)
        region = lib.autocast(device_type, dtype=lib.bfloat16) if amp else contextlib.nullcontext()
        with region:
            logits = model(x)
            loss = lib.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()

    return step, (size["batch"] * size["seq"] if name == "gpt" else size["batch"])


# -- timing -------------------------------------------------------------------------------------------
def seconds_per_call(fn, sync, warmup, iters):
    for _ in range(warmup):
        fn()
    sync()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    sync()
    return (time.perf_counter() - start) / iters


def load_torch():
    """(torch, its device) when PyTorch imports, else (None, None)."""
    try:
        import torch
    except ImportError:
        return None, None
    return torch, ("cuda" if torch.cuda.is_available() else "cpu")


def torch_sync(torch, device):
    return torch.cuda.synchronize if device == "cuda" else (lambda: None)


def bench_model(name, size, args, torch, torch_device):
    amp = name == "gpt"
    step, per_step = make_step(tritorch, name, size, "cuda", amp)
    ours = per_step / seconds_per_call(step, tcuda.synchronize, args.warmup, args.steps)
    theirs = None
    if torch is not None:
        tstep, _ = make_step(torch, name, size, torch_device, amp)
        theirs = per_step / seconds_per_call(tstep, torch_sync(torch, torch_device), args.warmup, args.steps)
    unit = "tokens/s" if name == "gpt" else "samples/s"
    problem = ", ".join(f"{k}={v}" for k, v in size.items()) + (", bf16 autocast" if amp else ", fp32")
    return dict(name=f"train {name}", problem=problem, unit=unit, tritorch=ours, torch=theirs,
                ratio=None if theirs is None else ours / theirs)


def bench_overhead(args, torch, torch_device):
    from tritorch.kernels.elementwise import elementwise
    iters = 20 if tcuda.is_emulated() else 2000
    x = tritorch.ones(1024, device="cuda")
    a = x._data
    rows = []
    ours = seconds_per_call(lambda: x + x, tcuda.synchronize, 3, iters) * 1e6
    kernel = seconds_per_call(lambda: elementwise("add", [a, a]), tcuda.synchronize, 3, iters) * 1e6
    theirs = None
    if torch is not None:
        tx = torch.ones(1024, device=torch_device)
        theirs = seconds_per_call(lambda: tx + tx, torch_sync(torch, torch_device), 3, iters) * 1e6
    rows.append(dict(name="op overhead: x + x", problem="1024 float32", unit="us/op", tritorch=ours, torch=theirs,
                     ratio=None if theirs is None else ours / theirs))
    rows.append(dict(name="  of which kernel launcher", problem="1024 float32", unit="us/op", tritorch=kernel,
                     torch=None, ratio=None))
    return rows


def fmt(v):
    return "-" if v is None else f"{v:,.1f}" if v >= 10 else f"{v:.3g}"


def print_table(rows, meta):
    print(f"tritorch device: {meta['device']} (emulated: {meta['emulated']})   "
          f"torch: {meta['torch'] or 'not importable'} on {meta['torch_device'] or '-'}")
    print(f"{'benchmark':<28} {'unit':<10} {'tritorch':>12} {'torch':>12} {'ratio':>6}  problem")
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['name']:<28} {r['unit']:<10} {fmt(r['tritorch']):>12} {fmt(r['torch']):>12} {ratio:>6}  "
              f"{r['problem']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="toy sizes (what the interpreter can run)")
    parser.add_argument("--json", action="store_true", help="JSON on stdout instead of a table")
    parser.add_argument("--models", default="mlp,cnn,gpt", help="comma-separated subset of mlp,cnn,gpt")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 10 on a GPU, 2 emulated)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 3, 1 emulated)")
    args = parser.parse_args(argv)
    emulated = tcuda.is_emulated()
    args.steps = args.steps or (2 if emulated or args.quick else 10)
    args.warmup = args.warmup or (1 if emulated or args.quick else 3)
    sizes = QUICK_SIZES if args.quick or emulated else GPU_SIZES
    torch, torch_device = load_torch()
    rows = [bench_model(name, sizes[name], args, torch, torch_device) for name in args.models.split(",")]
    rows += bench_overhead(args, torch, torch_device)
    meta = dict(device=tcuda.get_device_name() if not emulated else "emulated (TRITON_INTERPRET=1)",
                emulated=emulated, torch=None if torch is None else torch.__version__, torch_device=torch_device,
                steps=args.steps, warmup=args.warmup)
    if args.json:
        json.dump(dict(meta=meta, results=rows), sys.stdout, indent=1)
        print()
    else:
        print_table(rows, meta)


if __name__ == "__main__":
    main()
