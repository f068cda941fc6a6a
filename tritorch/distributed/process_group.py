"""The default process group: who this process is (rank), how many there are (world size), and
the engines that move its tensors (MPI for host memory, NCCL for cuda tensors).

Launching: `mpirun -n N python script.py` (or `tritorch run -n N script.py`, which also sets
RANK / WORLD_SIZE / LOCAL_RANK for each process as torchrun does). A process started alone is a
world of one, in which every collective is the identity, so single-process programs that call
`init_process_group` run unchanged without MPI installed.
"""
import datetime
import os
import sys

from .mpi import MPIEngine, import_mpi

# environment variables an MPI launcher (MPICH's hydra, Open MPI, PMIx, Slurm's PMI) sets per rank
_MPI_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK")
_MPI_LOCAL_RANK_VARS = ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "MV2_COMM_WORLD_LOCAL_RANK",
                        "SLURM_LOCALID")
_BACKENDS = {"mpi": "mpi", "gloo": "mpi", "nccl": "nccl"}
default_pg_timeout = datetime.timedelta(minutes=30)


class SelfEngine:
    """A world of one process: every collective leaves the data as it is."""
    name = "self"
    rank, size = 0, 1

    def __getattr__(self, name):
        if name in ("send", "recv"):
            def refuse(*args, **kwargs):
                raise RuntimeError("send/recv need a peer: this process group has one process")
            return refuse
        return lambda *args, **kwargs: []

    def test(self, requests):
        return True

    def wait(self, requests):
        pass

    def bcast_object(self, obj, src):
        return obj

    def allgather_object(self, obj):
        return [obj]

    def split(self, ranks):
        return self if 0 in ranks else None


class ProcessGroup:
    """Ranks `ranks` (global numbering) and one engine per device type ('cpu', 'cuda')."""

    def __init__(self, backend, engines, ranks, timeout, host=None):
        self.backend = backend
        self.engines = engines
        self.host = host if host is not None else engines.get("cpu")  # for the *_object collectives
        self.ranks = list(ranks)
        self.timeout = timeout

    def rank(self):
        return next(iter(self.engines.values())).rank

    def size(self):
        return len(self.ranks)

    def group_rank(self, global_rank):
        if global_rank not in self.ranks:
            raise ValueError(f"rank {global_rank} is not part of this group (ranks {self.ranks})")
        return self.ranks.index(global_rank)

    def engine_for(self, device_type):
        engine = self.engines.get(device_type) or self.engines.get("cpu")
        if engine is None:
            raise RuntimeError(f"the '{self.backend}' process group has no engine for {device_type} tensors "
                               f"(init_process_group(backend='cpu:gloo,cuda:nccl') gives both)")
        return engine


class _World:
    """`dist.group.WORLD` / `dist.GroupMember.WORLD`: the default group once initialised."""
    WORLD = None
    NON_GROUP_MEMBER = object()


group = GroupMember = _World
_default = None


def mpi_launched():
    return any(v in os.environ for v in _MPI_RANK_VARS)


def _env_int(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def _parse_backend(backend):
    """'gloo' -> {'cpu': 'mpi'}; 'nccl' -> {'cuda': 'nccl'}; 'cpu:gloo,cuda:nccl' -> both;
    None -> MPI for host tensors, NCCL for cuda ones when CUDA is usable."""
    if backend is None:
        from .. import cuda
        return {"cpu": "mpi", **({"cuda": "nccl"} if cuda.is_available() and not _emulated() else {})}
    name = str(backend).lower()
    pairs = [p.split(":", 1) if ":" in p else (None, p) for p in name.split(",")]
    out = {}
    for device, engine in pairs:
        if engine not in _BACKENDS:
            raise ValueError(f"Invalid backend: '{backend}' (tritorch has 'mpi', 'gloo' (served by MPI) and 'nccl')")
        out[device or ("cuda" if _BACKENDS[engine] == "nccl" else "cpu")] = _BACKENDS[engine]
    return out


def _emulated():
    return os.environ.get("TRITON_INTERPRET") == "1"


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group, as torch.distributed.init_process_group.

    backend: 'mpi' or 'gloo' (host tensors over MPI), 'nccl' (cuda tensors over NCCL), or
    'cpu:gloo,cuda:nccl'. Rank and world size come from the MPI launcher when there is one,
    else from `rank`/`world_size` or the RANK/WORLD_SIZE variables; given both, they must agree.
    """
    global _default
    if _default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    engines_by_device = _parse_backend(backend)
    timeout = timeout or default_pg_timeout
    world_size = world_size if world_size not in (None, -1) else _env_int("WORLD_SIZE", -1)
    rank = rank if rank not in (None, -1) else _env_int("RANK", -1)
    if mpi_launched() or "mpi" in engines_by_device.values() and world_size not in (-1, 1):
        world = import_mpi().COMM_WORLD
        if world.Get_size() == 1 and world_size > 1:
            raise RuntimeError(f"WORLD_SIZE={world_size} but this process is not part of an MPI job: start the "
                               f"processes with `tritorch run -n {world_size} script.py` or "
                               f"`mpirun -n {world_size} python script.py`")
        for what, given, actual in (("world_size", world_size, world.Get_size()), ("rank", rank, world.Get_rank())):
            if given not in (-1, actual):
                raise ValueError(f"init_process_group: {what}={given} disagrees with the MPI launcher's {actual}")
        host = MPIEngine(world)
    elif world_size in (-1, 1):
        host = SelfEngine()
    else:
        host = None  # nccl alone, started by torchrun-style variables: rendezvous through init_method
    engines = {}
    for device, name in engines_by_device.items():
        if name == "mpi":
            engines[device] = host if host is not None else SelfEngine()
        else:
            from .nccl import NCCLEngine
            size = host.size if host is not None else world_size
            me = host.rank if host is not None else rank
            engines[device] = NCCLEngine.create(me, size, host, init_method, timeout, device_id)
    size = next(iter(engines.values())).size
    _default = ProcessGroup(backend or "mpi", engines, range(size), timeout, host)
    _World.WORLD = _default
    if size > 1 and isinstance(host, MPIEngine):
        _abort_on_uncaught_exception(host)


def local_rank():
    for name in ("LOCAL_RANK",) + _MPI_LOCAL_RANK_VARS:
        if os.environ.get(name, "") != "":
            return int(os.environ[name])
    return 0


def _abort_on_uncaught_exception(engine):
    """An uncaught exception on one rank ends the whole job (MPI_Abort) instead of leaving the
    other ranks waiting in a collective forever."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.flush()
        engine.abort(1)
    sys.excepthook = hook


def default_group():
    if _default is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _default


def resolve(group_):
    """The ProcessGroup a collective runs on (None or group.WORLD: the default one)."""
    if group_ is None or group_ is _World.WORLD:
        return default_group()
    return group_


def is_initialized():
    return _default is not None


def is_available():
    return True


def is_mpi_available():
    try:
        import_mpi()
        return True
    except RuntimeError:
        return False


def is_nccl_available():
    try:
        import nccl.bindings.nccl  # noqa: F401
        return True
    except Exception:
        return False


def is_gloo_available():
    return is_mpi_available()


def is_torchelastic_launched():
    return "TORCHELASTIC_RUN_ID" in os.environ


def get_rank(group=None):
    if _default is None:
        return -1 if group is not None else _raise_uninitialised()
    return resolve(group).rank()


def get_world_size(group=None):
    if _default is None:
        return -1 if group is not None else _raise_uninitialised()
    return resolve(group).size()


def _raise_uninitialised():
    default_group()


def get_backend(group=None):
    return resolve(group).backend


def get_default_backend_for_device(device):
    """'gloo' for cpu (served by MPI here), 'nccl' for cuda, as PyTorch."""
    kind = device if isinstance(device, str) else device.type
    kind = kind.split(":")[0]
    if kind not in ("cpu", "cuda"):
        raise ValueError(f"Default backend not registered for device : {kind}")
    return "nccl" if kind == "cuda" else "gloo"


def get_global_rank(group, group_rank):
    return resolve(group).ranks[group_rank]


def get_group_rank(group, global_rank):
    return resolve(group).group_rank(global_rank)


def get_process_group_ranks(group):
    return list(resolve(group).ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False):
    """A group over `ranks` (every rank of the default group calls this, members or not).
    A non-member gets `GroupMember.NON_GROUP_MEMBER`, on which collectives do nothing."""
    world = default_group()
    ranks = sorted(range(world.size()) if ranks is None else ranks)
    engines = {device: engine.split(ranks) for device, engine in world.engines.items()}
    host = world.host.split(ranks) if world.host is not None and world.host not in world.engines.values() else None
    if any(e is None for e in engines.values()):
        return _World.NON_GROUP_MEMBER
    return ProcessGroup(world.backend, engines, ranks, timeout or world.timeout, host)


def destroy_process_group(group=None):
    global _default
    if group is None or group is _World.WORLD:
        if _default is not None:
            for engine in _default.engines.values():
                getattr(engine, "close", lambda: None)()
        _default = None
        _World.WORLD = None
    elif group is not _World.NON_GROUP_MEMBER:
        for engine in group.engines.values():
            getattr(engine, "close", lambda: None)()
