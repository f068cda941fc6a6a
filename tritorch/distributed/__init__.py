"""tritorch.distributed: torch.distributed's process groups and collectives on real engines.

MPI (mpi4py) moves host tensors, NCCL (nccl4py) moves cuda tensors; launch with
`mpirun -n N python script.py` or `tritorch run -n N script.py`. 'gloo' is accepted as a name and
served by MPI, so CPU programs written for PyTorch's gloo run unchanged. Nothing here imports an
engine until `init_process_group` needs it: `pip install -e '.[distributed]'` brings mpi4py and
MPICH.
"""
from .collectives import (ReduceOp, Work, all_gather, all_gather_into_tensor, all_gather_object,  # noqa: F401
                          all_reduce, all_to_all_single, barrier, broadcast, broadcast_object_list, gather,
                          gather_object, irecv, isend, monitored_barrier, recv, reduce, reduce_op, reduce_scatter,
                          reduce_scatter_tensor, scatter, send)
from .process_group import (GroupMember, ProcessGroup, default_pg_timeout, destroy_process_group,  # noqa: F401
                            get_backend, get_default_backend_for_device, get_global_rank, get_group_rank, get_process_group_ranks, get_rank,
                            get_world_size, group, init_process_group, is_available, is_gloo_available,
                            is_initialized, is_mpi_available, is_nccl_available, is_torchelastic_launched,
                            new_group)
from .process_group import local_rank as get_node_local_rank  # noqa: F401

# PyTorch's deprecated aliases
_all_gather_base = all_gather_into_tensor
_reduce_scatter_base = reduce_scatter_tensor


class Backend(str):
    """dist.Backend('gloo'), Backend.GLOO ... : backend names."""
    GLOO, NCCL, MPI = "gloo", "nccl", "mpi"

    def __new__(cls, name):
        return str.__new__(cls, name.lower())
