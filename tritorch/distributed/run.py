"""What each process of `tritorch run -n N script.py` runs: torchrun's environment, then the script.

mpirun starts `python -m tritorch.distributed.run script.py ARGS` N times; this sets RANK,
WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE from the MPI launcher's own variables (so programs
that read them before init_process_group, as torchrun users do, see the right values), runs the
script as __main__, and turns an uncaught exception on one rank into the end of the whole job
(MPI_Abort) rather than the other ranks waiting for it forever.
"""
import os
import runpy
import sys
import traceback

_VARS = {  # ours: the launchers' names for it (MPICH hydra / PMI, Open MPI, Slurm)
    "RANK": ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "SLURM_PROCID"),
    "WORLD_SIZE": ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS"),
    "LOCAL_RANK": ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"),
    "LOCAL_WORLD_SIZE": ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"),
}


def torchrun_environment(environ):
    """The RANK/WORLD_SIZE/LOCAL_RANK/LOCAL_WORLD_SIZE values the launcher's variables imply."""
    out = {}
    for ours, theirs in _VARS.items():
        for name in theirs:
            if environ.get(name, "") != "":
                out[ours] = environ[name]
                break
    out.setdefault("RANK", "0")
    out.setdefault("WORLD_SIZE", "1")
    out.setdefault("LOCAL_RANK", out["RANK"])
    out.setdefault("LOCAL_WORLD_SIZE", out["WORLD_SIZE"])
    out.setdefault("MASTER_ADDR", environ.get("MASTER_ADDR", "127.0.0.1"))
    out.setdefault("MASTER_PORT", environ.get("MASTER_PORT", "29500"))
    return out


def main(argv):
    if not argv:
        print("usage: python -m tritorch.distributed.run SCRIPT.py [ARGS...] | -m MODULE [ARGS...]", file=sys.stderr)
        return 2
    os.environ.update(torchrun_environment(os.environ))
    module = argv[0] == "-m"
    target = argv[1] if module else argv[0]
    sys.argv = argv[1:] if module else list(argv)
    try:
        if module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code != 0:
            _end_job(code)
        raise
    except BaseException:
        traceback.print_exc()
        _end_job(1)
    return 0


def _end_job(code):
    """One rank failed: end every rank of the job (they may be waiting in a collective)."""
    sys.stderr.flush()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        from mpi4py import MPI
        MPI.COMM_WORLD.Abort(code)
    sys.exit(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
