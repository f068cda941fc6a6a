"""The trainer's data-parallel strategy: one process per rank, started by mpirun / tritorch run.

Every rank builds the same model from the same seed, reads its own share of each epoch's shuffled
indices (ResumableSampler(replicas, rank)), and trains a DistributedDataParallel wrapper, so the
global batch is world_size x data.batch_size. Decisions that must agree across ranks (the loss
that is logged and checked for NaN, Ctrl-C) are all-reduced each micro-batch; evaluation runs on
every rank (same weights, same numbers, same early-stopping and best-checkpoint decisions); rank 0
alone writes the run directory, and every rank resumes from its checkpoints. All ranks keep one
random stream (the same seed), so rank 0's saved RNG state resumes every rank bitwise.
"""
import os
import sys

from .. import distributed as dist
from ..distributed.process_group import _MPI_RANK_VARS

_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "WORLD_SIZE")


def launched_world_size(environ=os.environ):
    """How many processes the launcher started (1 when run alone)."""
    for name in _SIZE_VARS:
        if environ.get(name, "") != "":
            return int(environ[name])
    return 1


def setup(strategy, device):
    """(rank, world_size), joining the process group when this run is data-parallel."""
    world = launched_world_size()
    if strategy == "single" or (strategy == "auto" and world <= 1):
        return 0, 1
    if strategy == "ddp" and world <= 1 and not any(v in os.environ for v in _MPI_RANK_VARS):
        print("note: trainer.strategy is ddp but this is one process; start several with "
              "`mpirun -n 2 tritorch train ...`", file=sys.stderr)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" and os.environ.get("TRITON_INTERPRET") != "1"
                                else "gloo")
    return dist.get_rank(), dist.get_world_size()


def agree(value, interrupted):
    """(mean of `value` over the ranks, whether any rank was interrupted): one small all-reduce."""
    from .. import float64, tensor
    t = tensor([value, 1.0 if interrupted else 0.0], dtype=float64)
    dist.all_reduce(t)
    total, stops = t.tolist()
    return total / dist.get_world_size(), stops > 0


def share(obj):
    """Rank 0's `obj` on every rank."""
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def abort(error):
    """One rank failed: say so and end the job (the others may be inside a collective)."""
    print(f"rank {dist.get_rank()}: error: {error}", file=sys.stderr)
    sys.stderr.flush()
    dist.process_group.default_group().host.abort(1)


class NullLog:
    """The metrics log of ranks other than 0: they write nothing."""
    lines = 0

    def log(self, row):
        pass

    def write_csv(self):
        pass


class NullProgress:
    """The progress display of ranks other than 0: silent."""

    def update(self, *args, **kwargs):
        pass

    def write(self, *args, **kwargs):
        pass

    def close(self):
        pass
