"""DDP on the ranks of this job x batch B must match one process on batch world*B (run by mpiexec).

Prints the final parameters of rank 0 as JSON lines; the test compares them with the single-process
run of the same function (`reference` below) in the test process.
"""
import json
import sys

import numpy as np

import tritorch as torch
import tritorch.distributed as dist
from tritorch.nn.parallel import DistributedDataParallel as DDP


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.GELU(), torch.nn.Linear(16, 4))


class TinyTransformer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(11, 8)
        self.block = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
        self.head = torch.nn.Linear(8, 11)

    def forward(self, x):
        return self.head(self.block(self.emb(x)))


def batches(kind, steps, batch, seed=0):
    g = np.random.default_rng(seed)
    for _ in range(steps):
        if kind == "mlp":
            yield torch.tensor(g.standard_normal((batch, 6)), dtype=torch.float32), \
                torch.tensor(g.integers(0, 4, batch))
        else:
            yield torch.tensor(g.integers(0, 11, (batch, 5))), torch.tensor(g.integers(0, 11, (batch, 5)))


def loss_of(model, kind, x, y):
    out = model(x)
    return torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def train(kind, world, rank, per_rank, steps=5, accumulate=1, wrap=None):
    """5 AdamW steps; the global batch world*per_rank is split by rank; with accumulate > 1 each
    step accumulates that many micro-batches (no_sync on all but the last)."""
    torch.manual_seed(0)
    model = mlp() if kind == "mlp" else TinyTransformer()
    trained = wrap(model) if wrap else model
    # the attention key bias has a zero gradient (softmax ignores it) made of rounding noise, which
    # Adam's normalisation would amplify into different steps: a larger eps keeps noise a no-op
    opt = torch.optim.AdamW(trained.parameters(), lr=1e-2, eps=1e-8 if kind == "mlp" else 1e-4)
    data = list(batches(kind, steps * accumulate, world * per_rank))
    for step in range(steps):
        opt.zero_grad()
        for micro in range(accumulate):
            x, y = data[step * accumulate + micro]
            x, y = x[rank * per_rank:(rank + 1) * per_rank], y[rank * per_rank:(rank + 1) * per_rank]
            last = micro == accumulate - 1
            ctx = trained.no_sync() if wrap and not last else _nothing()
            with ctx:
                (loss_of(trained, kind, x, y) / accumulate).backward()
        opt.step()
    return [p.detach().numpy().tolist() for p in model.parameters()]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def reference(kind, world, per_rank, accumulate=1):
    return train(kind, 1, 0, world * per_rank, accumulate=accumulate)


if __name__ == "__main__":
    kind, accumulate = sys.argv[1], int(sys.argv[2])
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    events = []

    def wrap(model):
        # small buckets: several all-reduces per backward
        ddp = DDP(model, bucket_cap_mb=0.0005)
        original = ddp._launch

        def launch(bucket):
            events.append("launch")
            original(bucket)
        ddp._launch = launch
        # the first layer's weight gets its gradient last in backward
        next(model.parameters()).register_post_accumulate_grad_hook(lambda p: events.append("last"))
        return ddp
    params = train(kind, world, rank, per_rank=3, accumulate=accumulate, wrap=wrap)
    if rank == 0:
        windows = " ".join(events).split("last")  # the events of each backward, up to its last gradient
        print(json.dumps({"params": params, "launches": events.count("launch"),
                          # backwards in which a bucket started before the last gradient was computed
                          # (the final bucket itself starts from that gradient's own hook)
                          "overlapped_backwards": sum(1 for w in windows if w.split().count("launch") >= 2)}))
