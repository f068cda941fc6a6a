"""Every collective, op and dtype on two ranks against numpy (the checks run inside the ranks)."""
import numpy as np

from _mpi import run_mpi, worker


def test_every_collective_op_and_dtype_on_two_ranks():
    seed = int(np.random.SeedSequence().entropy % 2 ** 31)
    out = run_mpi([worker("collectives.py"), str(seed)])
    assert "rank 0: 0 failures" in out.stdout and "rank 1: 0 failures" in out.stdout, (seed, out.stdout)
