"""Every collective, op and dtype on the ranks of this job, checked against numpy (run by mpiexec)."""
import sys

import numpy as np

import tritorch as torch
import tritorch.distributed as dist

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
seed = int(sys.argv[1])
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int8,
          torch.uint8, torch.bool]
failures = []


def data(r, dtype, shape=(3, 5)):
    """Rank r's input: the same on every rank for a given (seed, r), so each rank knows all inputs."""
    g = np.random.default_rng([seed, r, len(shape)])
    if dtype == torch.bool:
        return torch.tensor(g.random(shape) < 0.5)
    if dtype.is_floating_point:
        return torch.tensor(g.integers(-8, 8, shape).astype(np.float64) / 4).to(dtype)
    return torch.tensor(g.integers(1, 5, shape)).to(dtype)


def check(name, got, want):
    got = got.to(torch.float64).numpy() if got.dtype != torch.bool else got.numpy()
    if not np.array_equal(got, np.asarray(want, dtype=got.dtype)):
        failures.append(f"rank {rank} {name}: {got} != {want}")


every = lambda dtype: [data(r, dtype) for r in range(world)]  # noqa: E731
as64 = lambda ts: [t.to(torch.float64).numpy() if t.dtype != torch.bool else t.numpy() for t in ts]  # noqa: E731
for dtype in DTYPES:
    ins = as64(every(dtype))
    ops = {dist.ReduceOp.MAX: np.maximum.reduce, dist.ReduceOp.MIN: np.minimum.reduce}
    if dtype != torch.bool:
        ops[dist.ReduceOp.SUM] = lambda xs: np.sum(xs, axis=0)
        ops[dist.ReduceOp.PRODUCT] = lambda xs: np.prod(xs, axis=0)
    if dtype.is_floating_point:
        ops[dist.ReduceOp.AVG] = lambda xs: np.sum(xs, axis=0) / world
    for op, ref in ops.items():
        t = data(rank, dtype)
        dist.all_reduce(t, op=op)
        check(f"all_reduce {op} {dtype}", t, ref(ins))
        t = data(rank, dtype)
        work = dist.all_reduce(t, op=op, async_op=True)
        work.wait()
        check(f"async all_reduce {op} {dtype}", t, ref(ins))
        t = data(rank, dtype)
        dist.reduce(t, dst=world - 1, op=op)
        check(f"reduce {op} {dtype}", t, ref(ins) if rank == world - 1 else ins[rank])
    t = data(rank, dtype)
    dist.broadcast(t, src=world - 1)
    check(f"broadcast {dtype}", t, ins[world - 1])
    outs = [torch.zeros(3, 5, dtype=dtype) for _ in range(world)]
    dist.all_gather(outs, data(rank, dtype))
    for r in range(world):
        check(f"all_gather[{r}] {dtype}", outs[r], ins[r])
    out = torch.zeros(world * 3, 5, dtype=dtype)
    dist.all_gather_into_tensor(out, data(rank, dtype))
    check(f"all_gather_into_tensor {dtype}", out, np.concatenate(ins))
    gl = [torch.zeros(3, 5, dtype=dtype) for _ in range(world)] if rank == 0 else None
    dist.gather(data(rank, dtype), gl, dst=0)
    if rank == 0:
        for r in range(world):
            check(f"gather[{r}] {dtype}", gl[r], ins[r])
    t = torch.zeros(3, 5, dtype=dtype)
    dist.scatter(t, [data(r, dtype) for r in range(world)] if rank == 1 else None, src=1)
    check(f"scatter {dtype}", t, ins[rank])
    if dtype != torch.bool:
        big = data(rank, dtype, shape=(world * 2, 3))
        allbig = as64([data(r, dtype, shape=(world * 2, 3)) for r in range(world)])
        out = torch.zeros(2, 3, dtype=dtype)
        dist.reduce_scatter_tensor(out, big)
        check(f"reduce_scatter_tensor {dtype}", out, np.sum(allbig, axis=0)[rank * 2:(rank + 1) * 2])
# point to point, a strided (non-contiguous) tensor, objects, a barrier
if rank == 0:
    dist.send(torch.arange(6.0).reshape(2, 3).t(), dst=1, tag=7)
elif rank == 1:
    t = torch.zeros(3, 2)
    sender = dist.recv(t, tag=7)
    check("recv", t, np.arange(6.0).reshape(2, 3).T)
    if sender != 0:
        failures.append(f"recv returned sender {sender}")
t = torch.arange(12.0).reshape(3, 4)[:, 1::2]  # a strided view: written back through its strides
dist.all_reduce(t)
check("all_reduce strided view", t, world * np.arange(12.0).reshape(3, 4)[:, 1::2])
objs = [None] * world
dist.all_gather_object(objs, {"rank": rank})
if objs != [{"rank": r} for r in range(world)]:
    failures.append(f"all_gather_object {objs}")
box = [rank * 10] if rank == 1 else [None]
dist.broadcast_object_list(box, src=1)
if box != [10]:
    failures.append(f"broadcast_object_list {box}")
dist.barrier()
print(f"rank {rank}: {len(failures)} failures", *failures[:20], sep="\n")
dist.destroy_process_group()
sys.exit(1 if failures else 0)
