"""`tritorch run -n N script.py [ARGS...]`: start N processes of a script under MPI, as torchrun does.

Each process gets RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE (tritorch.distributed.run), so
a PyTorch DDP script runs unchanged with `import tritorch as torch`. Under the hood it is
`mpirun -n N python -m tritorch.distributed.run script.py ARGS` (MPICH's mpiexec from the
`distributed` extra, or the system's); for Open MPI as root it sets the two variables Open MPI
requires to run as root.
"""
import os
import shutil
import subprocess
import sys


def add_arguments(parser):
    parser.add_argument("-n", "--nproc-per-node", "--nproc_per_node", dest="n", type=int, default=1,
                        help="number of processes (default 1)")
    parser.add_argument("-m", dest="module", action="store_true", help="run a module (python -m) instead of a file")
    parser.add_argument("script", help="the Python file (or module with -m) to run in every process")
    parser.add_argument("args", nargs="...", help="arguments for the script")


def mpi_command(n, target, args, module=False, launcher=None):
    """The argv list that starts `n` ranks of `target`."""
    launcher = launcher or find_launcher()
    entry = [sys.executable, "-m", "tritorch.distributed.run"] + (["-m"] if module else []) + [target]
    return [launcher, "-n", str(n)] + entry + list(args)


def find_launcher():
    for name in ("mpiexec", "mpirun"):
        found = shutil.which(name)
        if found:
            return found
    return None


def launcher_env(launcher, environ=None):
    env = dict(os.environ if environ is None else environ)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and _is_open_mpi(launcher):
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    return env


def _is_open_mpi(launcher):
    try:
        out = subprocess.run([launcher, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return "Open MPI" in out.stdout + out.stderr


def run(args):
    if args.n < 1:
        print(f"error: -n must be at least 1, got {args.n}", file=sys.stderr)
        return 2
    if not args.module and not os.path.isfile(args.script):
        print(f"error: {os.path.abspath(args.script)}: no such file", file=sys.stderr)
        return 2
    launcher = find_launcher()
    if launcher is None:
        print("error: no mpiexec/mpirun found: pip install -e '.[distributed]'  (mpi4py + mpich)", file=sys.stderr)
        return 1
    cmd = mpi_command(args.n, args.script, args.args, args.module, launcher)
    return subprocess.call(cmd, env=launcher_env(launcher))
