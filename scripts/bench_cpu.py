"""CPU speed of tritorch next to PyTorch eager: per-op overhead, primitives and training steps.

    python scripts/bench_cpu.py                      # every case, one thread each, a table
    python scripts/bench_cpu.py --threads 2 --json   # both libraries on two threads, JSON on stdout
    python scripts/bench_cpu.py --cases add,chain,mlp --repeats 11
    python scripts/bench_cpu.py --quick              # toy sizes, two repeats: the script runs

Each case is built by the same code for both libraries (written against PyTorch's API, which
tritorch mirrors), with the same float32 weights and inputs. The two run interleaved in one
process: every repeat times tritorch then PyTorch (then the other order on the next repeat),
`number` calls each, and the table shows the median time per call and ratio = tritorch / PyTorch
(<= 1 means tritorch is at least as fast). `target` is issue 15's goal for that ratio.

`--threads N` pins both libraries: torch.set_num_threads(N), and OMP/OpenBLAS/MKL_NUM_THREADS for
numpy's BLAS, which must be set before numpy loads, so the script re-executes itself once with
them. `--timer cpu` times with process CPU time instead of wall time: steadier on a machine
shared with other jobs, but with two threads it adds the threads' times up. The header prints the
machine, the load average before and after, and the library versions. PyTorch is optional: without
it (or with --no-torch) only tritorch's column is filled.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1, choices=(1, 2), help="threads for both libraries (default 1)")
    p.add_argument("--cases", default="", help="comma-separated case names or name prefixes (default: all)")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats per case (default 7, --quick 2)")
    p.add_argument("--min-time", type=float, default=None,
                   help="seconds one timed repeat aims at (default 0.05, --quick 0.002)")
    p.add_argument("--timer", choices=("wall", "cpu"), default="wall", help="wall clock or process CPU time")
    p.add_argument("--quick", action="store_true", help="toy sizes and two repeats (the smoke test)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--no-torch", action="store_true", help="time tritorch only")
    p.add_argument("--list", action="store_true", help="list the case names and exit")
    return p.parse_args(argv)


def pin_threads(n):
    """Re-execute with the BLAS/OpenMP thread variables set, unless they already are (numpy reads them once)."""
    want = str(n)
    if os.environ.get("_BENCH_CPU_THREADS") == want:
        return
    env = dict(os.environ, _BENCH_CPU_THREADS=want, OMP_NUM_THREADS=want, OPENBLAS_NUM_THREADS=want,
               MKL_NUM_THREADS=want)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


# -- the cases: each make_*(lib, np, size) returns a callable that runs one step in `lib` -------------------
# `size` is the case's FULL or QUICK entry; `rng` inputs come from numpy so both libraries see the same.
def _same_weights(lib, np, module, seed=0):
    """Overwrite every parameter from one numpy stream (uniform, scaled by 1/sqrt(fan-in))."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for _, p in module.named_parameters():
            shape = tuple(p.shape)
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
            p.copy_(lib.tensor(rng.uniform(-1, 1, shape).astype(np.float32) / np.sqrt(fan_in)))
    return module


def _data(lib, np, shape, seed=1, requires_grad=False):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return lib.tensor(x, requires_grad=requires_grad)


def _labels(lib, np, n, classes, seed=2):
    return lib.tensor(np.random.default_rng(seed).integers(0, classes, n).astype(np.int64))


def make_small_op(op):
    def make(lib, np, size):
        a, b = _data(lib, np, size["shape"], 1), _data(lib, np, size["shape"], 2)
        return {"add": lambda: a + b, "mul": lambda: a * b, "matmul": lambda: a @ b,
                "relu": lambda: a.relu(), "sum": lambda: a.sum()}[op]
    return make


def make_chain(lib, np, size):
    """Ten ops forward (mul, add, relu, tanh, mul, twice; sum) then backward to a leaf."""
    x = _data(lib, np, size["shape"], requires_grad=True)

    def step():
        y = x
        for _ in range(2):
            y = (y * 1.5 + 0.5).relu()
            y = y.tanh() * y
        y.sum().backward()
        x.grad = None
    return step


def _train_step(lib, model, opt, x, y, loss_fn):
    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def make_mlp(lib, np, size):
    nn, dims = lib.nn, size["dims"]
    layers = []
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(dims) - 2 else [])
    model = _same_weights(lib, np, nn.Sequential(*layers))
    x, y = _data(lib, np, (size["batch"], dims[0])), _labels(lib, np, size["batch"], dims[-1])
    return _train_step(lib, model, lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), x, y,
                       nn.functional.cross_entropy)


def make_cnn(lib, np, size):
    """pytorch/examples mnist/main.py's Net (dropout on), trained with Adam (tritorch has no Adadelta)."""
    nn, F = lib.nn, lib.nn.functional
    hw, c1, c2, hidden = size["hw"], *size["channels"]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, c1, 3, 1), nn.Conv2d(c1, c2, 3, 1)
            self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
            self.fc1, self.fc2 = nn.Linear(c2 * ((hw - 4) // 2) ** 2, hidden), nn.Linear(hidden, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = F.relu(self.fc1(lib.flatten(self.dropout1(x), 1)))
            return F.log_softmax(self.fc2(self.dropout2(x)), dim=1)

    model = _same_weights(lib, np, Net())
    x, y = _data(lib, np, (size["batch"], 1, hw, hw)), _labels(lib, np, size["batch"], 10)
    return _train_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y, F.nll_loss)


def make_gpt(lib, np, size):
    """nanoGPT's model (no biases, weight tying, exact GELU, causal SDPA) with its AdamW step."""
    nn, F = lib.nn, lib.nn.functional
    vocab, block, layers, heads, d = size["vocab"], size["block"], size["layers"], size["heads"], size["d"]

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(d, bias=False), nn.LayerNorm(d, bias=False)
            self.c_attn, self.c_proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
            self.c_fc, self.mlp_proj = nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))
            return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(block, d)
            self.h = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f, self.lm_head = nn.LayerNorm(d, bias=False), nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(lib.arange(idx.shape[1]))
            for blk in self.h:
                x = blk(x)
            return self.lm_head(self.ln_f(x))

    model = _same_weights(lib, np, GPT())
    model.lm_head.weight = model.wte.weight  # tied, as in nanoGPT (after the copy: one shared tensor)
    rng = np.random.default_rng(3)
    idx = lib.tensor(rng.integers(0, vocab, (size["batch"], block)).astype(np.int64))
    tgt = lib.tensor(rng.integers(0, vocab, (size["batch"], block)).astype(np.int64))
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
    return _train_step(lib, model, opt, idx, tgt, lambda logits, t: F.cross_entropy(logits.view(-1, vocab), t.view(-1)))


def make_lstm(lib, np, size):
    nn = lib.nn
    batch, seq, features, hidden, layers = size["batch"], size["seq"], size["features"], size["hidden"], size["layers"]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.head = nn.LSTM(features, hidden, layers, batch_first=True), nn.Linear(hidden, 2)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    model = _same_weights(lib, np, Net())
    x, y = _data(lib, np, (batch, seq, features)), _labels(lib, np, batch, 2)
    return _train_step(lib, model, lib.optim.SGD(model.parameters(), lr=0.01), x, y, nn.functional.cross_entropy)


def _fwd_bwd(lib, np, fn, tensors, out_shape):
    """One forward and backward of fn(*tensors) against a fixed upstream gradient; grads reset each step."""
    g = _data(lib, np, out_shape, seed=9)

    def step():
        fn(*tensors).backward(g)
        for t in tensors:
            t.grad = None
    return step


def make_conv2d(backward):
    def make(lib, np, size):
        n, c, hw = size["n"], size["c"], size["hw"]
        x = _data(lib, np, (n, c, hw, hw), 1, requires_grad=backward)
        w = _data(lib, np, (c, c, 3, 3), 2, requires_grad=backward)
        conv = lib.nn.functional.conv2d
        if not backward:
            return lambda: conv(x, w, padding=1)
        return _fwd_bwd(lib, np, lambda x, w: conv(x, w, padding=1), (x, w), (n, c, hw, hw))
    return make


def make_layer_norm(backward):
    def make(lib, np, size):
        rows, cols = size["shape"]
        x = _data(lib, np, (rows, cols), 1, requires_grad=backward)
        w, b = _data(lib, np, (cols,), 2, requires_grad=backward), _data(lib, np, (cols,), 3, requires_grad=backward)
        ln = lib.nn.functional.layer_norm
        if not backward:
            return lambda: ln(x, (cols,), w, b)
        return _fwd_bwd(lib, np, lambda x, w, b: ln(x, (cols,), w, b), (x, w, b), (rows, cols))
    return make


def make_softmax(lib, np, size):
    x = _data(lib, np, size["shape"])
    return lambda: lib.softmax(x, dim=-1)


def make_matmul(lib, np, size):
    a, b = _data(lib, np, size["shape"], 1), _data(lib, np, size["shape"], 2)
    return lambda: a @ b


def make_gelu(lib, np, size):
    x = _data(lib, np, size["shape"])
    return lambda: lib.nn.functional.gelu(x)


# name: (description, target ratio, make, full size, quick size)
CASES = {
    "add": ("(4,4) add", 3.0, make_small_op("add"), dict(shape=(4, 4)), dict(shape=(4, 4))),
    "mul": ("(4,4) mul", 3.0, make_small_op("mul"), dict(shape=(4, 4)), dict(shape=(4, 4))),
    "matmul4": ("(4,4) matmul", 3.0, make_small_op("matmul"), dict(shape=(4, 4)), dict(shape=(4, 4))),
    "relu": ("(4,4) relu", 3.0, make_small_op("relu"), dict(shape=(4, 4)), dict(shape=(4, 4))),
    "sum": ("(4,4) sum", 3.0, make_small_op("sum"), dict(shape=(4, 4)), dict(shape=(4, 4))),
    "chain": ("10-op chain fwd+bwd (16,16)", 3.0, make_chain, dict(shape=(16, 16)), dict(shape=(16, 16))),
    "mlp_b64": ("MLP 784-256-10 train step, batch 64", 1.0, make_mlp, dict(dims=(784, 256, 10), batch=64),
                dict(dims=(12, 8, 3), batch=4)),
    "mlp_b512": ("MLP 784-256-10 train step, batch 512", 1.0, make_mlp, dict(dims=(784, 256, 10), batch=512),
                 dict(dims=(12, 8, 3), batch=8)),
    "mlp_big": ("MLP 784-1024-1024-10 train step, batch 512", 1.0, make_mlp,
                dict(dims=(784, 1024, 1024, 10), batch=512), dict(dims=(12, 16, 16, 3), batch=8)),
    "cnn": ("MNIST CNN (pytorch/examples) train step, batch 64", 1.3, make_cnn,
            dict(hw=28, channels=(32, 64, 128), batch=64), dict(hw=8, channels=(2, 3, 4), batch=2)),
    "gpt": ("GPT char (4x128, 4 heads, block 64) train step, batch 12", 1.5, make_gpt,
            dict(vocab=65, block=64, layers=4, heads=4, d=128, batch=12),
            dict(vocab=11, block=8, layers=1, heads=2, d=8, batch=2)),
    "lstm": ("LSTM 2x256 on (32,50,128) train step", 1.5, make_lstm,
             dict(batch=32, seq=50, features=128, hidden=256, layers=2),
             dict(batch=2, seq=3, features=4, hidden=5, layers=2)),
    "conv_fwd": ("conv2d (64,64,56,56) 3x3 forward", None, make_conv2d(False), dict(n=64, c=64, hw=56),
                 dict(n=2, c=3, hw=6)),
    "conv_fwdbwd": ("conv2d (64,64,56,56) 3x3 forward+backward", 1.5, make_conv2d(True), dict(n=64, c=64, hw=56),
                    dict(n=2, c=3, hw=6)),
    "ln_fwd": ("layer_norm 4096x1024 forward", None, make_layer_norm(False), dict(shape=(4096, 1024)),
               dict(shape=(5, 7))),
    "ln_fwdbwd": ("layer_norm 4096x1024 forward+backward", 1.5, make_layer_norm(True), dict(shape=(4096, 1024)),
                  dict(shape=(5, 7))),
    "softmax": ("softmax 4096x4096 forward", 1.2, make_softmax, dict(shape=(4096, 4096)), dict(shape=(5, 7))),
    "matmul1024": ("matmul 1024x1024", None, make_matmul, dict(shape=(1024, 1024)), dict(shape=(8, 8))),
    "matmul2048": ("matmul 2048x2048", None, make_matmul, dict(shape=(2048, 2048)), dict(shape=(16, 16))),
    "gelu": ("exact GELU on 393k elements (GPT's MLP)", None, make_gelu, dict(shape=(12, 64, 512)),
             dict(shape=(2, 3, 5))),
}


def select(spec):
    """Case names matching a comma-separated list of names or prefixes, in table order."""
    if not spec:
        return list(CASES)
    wanted = [w.strip() for w in spec.split(",") if w.strip()]
    unknown = [w for w in wanted if not any(name.startswith(w) for name in CASES)]
    if unknown:
        raise SystemExit(f"bench_cpu: unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    return [name for name in CASES if any(name.startswith(w) for w in wanted)]


# -- timing -----------------------------------------------------------------------------------------------
def time_calls(fn, number, clock):
    start = clock()
    for _ in range(number):
        fn()
    return (clock() - start) / number


def bench_case(steps, repeats, min_time, clock):
    """Median seconds per call for each library's step, interleaved, the same `number` of calls each."""
    for fn in steps.values():  # warm-up: first-call caches, allocator, BLAS threads
        fn()
        fn()
    once = time_calls(steps["tritorch"], 1, clock)
    number = max(1, int(min_time / max(once, 1e-9)))
    samples = {lib: [] for lib in steps}
    order = list(steps)
    for r in range(repeats):
        for lib in (order if r % 2 == 0 else order[::-1]):
            samples[lib].append(time_calls(steps[lib], number, clock))
    return {lib: statistics.median(s) for lib, s in samples.items()}, number


def machine():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fmt_time(s):
    if s is None:
        return "-"
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        print("\n".join(f"{name:12s} {CASES[name][0]}" for name in CASES))
        return 0
    names = select(args.cases)
    pin_threads(args.threads)
    import numpy as np
    import tritorch
    libs = {"tritorch": tritorch}
    torch = None
    if not args.no_torch:
        try:
            import torch
            torch.set_num_threads(args.threads)
            libs["torch"] = torch
        except ImportError:
            torch = None
    repeats = args.repeats or (2 if args.quick else 7)
    min_time = args.min_time or (0.002 if args.quick else 0.05)
    clock = time.perf_counter if args.timer == "wall" else time.process_time
    load_before = os.getloadavg()
    results = []
    for name in names:
        desc, target, make, full, quick = CASES[name]
        size = quick if args.quick else full
        steps = {}
        for lib_name, lib in libs.items():
            lib.manual_seed(0)
            steps[lib_name] = make(lib, np, size)
        medians, number = bench_case(steps, repeats, min_time, clock)
        t_ours, t_torch = medians["tritorch"], medians.get("torch")
        results.append(dict(case=name, description=desc, size=size, number=number, tritorch_s=t_ours,
                            torch_s=t_torch, ratio=t_ours / t_torch if t_torch else None, target=target))
        del steps
    meta = dict(machine=machine(), cpus=os.cpu_count(), threads=args.threads, timer=args.timer, repeats=repeats,
                quick=args.quick, date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                load_before=[round(x, 2) for x in load_before], load_after=[round(x, 2) for x in os.getloadavg()],
                python=platform.python_version(), numpy=np.__version__,
                torch=getattr(torch, "__version__", None), openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"),
                blas_threads=os.environ.get("OPENBLAS_NUM_THREADS"),
                torch_threads=torch.get_num_threads() if torch else None)
    if args.json:
        print(json.dumps(dict(meta=meta, results=results), indent=1, default=list))
    else:
        print_table(meta, results)
    return 0


def print_table(meta, results):
    print(f"# {meta['machine']}, {meta['cpus']} CPUs, {meta['threads']} thread(s), {meta['timer']} time, "
          f"median of {meta['repeats']}, {meta['date']}")
    print(f"# load average before {meta['load_before']} after {meta['load_after']}; numpy {meta['numpy']}, "
          f"torch {meta['torch'] or 'not installed'}, OPENBLAS_CORETYPE={meta['openblas_coretype']}")
    rows = [("case", "description", "tritorch", "torch", "ratio", "target")]
    for r in results:
        rows.append((r["case"], r["description"], fmt_time(r["tritorch_s"]), fmt_time(r["torch_s"]),
                     "-" if r["ratio"] is None else f"{r['ratio']:.2f}x",
                     "-" if r["target"] is None else f"<= {r['target']}x"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    sys.exit(main())
