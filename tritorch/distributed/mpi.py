"""The MPI engine (CPU): collectives over mpi4py on contiguous numpy buffers.

Every method takes numpy arrays that MPI may read and write directly and returns a list of
MPI requests (non-blocking collectives: Iallreduce, Ibcast, ...), so a caller can start an
all-reduce during backward and wait for it later. Arrays must be C-contiguous and of a dtype
MPI knows (the caller stages float16/bfloat16/bool through other dtypes: `wire_dtype`).

mpi4py is imported only when a process group with this engine is created: `pip install -e
'.[distributed]'` brings mpi4py and MPICH's wheel (a working `mpirun` with no system packages,
and no --allow-run-as-root dance as Open MPI needs).
"""
import numpy as np

# dtypes MPI reduces natively; others are staged: floats through float32, bool through uint8
_NATIVE = {np.dtype(t) for t in ("float32", "float64", "int8", "int16", "int32", "int64", "uint8")}


def import_mpi():
    try:
        from mpi4py import MPI
    except ImportError:
        raise RuntimeError("the 'mpi' backend needs mpi4py and an MPI library: "
                           "pip install -e '.[distributed]'  (mpi4py + mpich)") from None
    return MPI


def wire_dtype(dtype, reducing):
    """The dtype a buffer of `dtype` travels in: itself when MPI knows it; for a reduction
    float16/bfloat16 go as float32 and bool as uint8; for a plain copy, same-width integers."""
    dtype = np.dtype(dtype)
    if dtype in _NATIVE:
        return dtype
    if reducing:
        return np.dtype(np.uint8) if dtype == np.bool_ else np.dtype(np.float32)
    return np.dtype(f"uint{8 * dtype.itemsize}")


class MPIEngine:
    name = "mpi"

    def __init__(self, comm):
        self.MPI = import_mpi()
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self._ops = {"sum": self.MPI.SUM, "product": self.MPI.PROD, "max": self.MPI.MAX,
                     "min": self.MPI.MIN, "band": self.MPI.BAND, "bor": self.MPI.BOR,
                     "bxor": self.MPI.BXOR}

    # host buffers for tensors
    def stage(self, tensor, reducing):
        """A C-contiguous numpy buffer holding `tensor`'s values in its wire dtype: the
        tensor's own memory when it is a contiguous CPU tensor of a native dtype, else a copy
        (cuda tensors are staged through host memory: MPI here is not CUDA-aware)."""
        t = tensor.detach()
        arr = t._data if t.device.type == "cpu" else t.cpu()._data
        wire = wire_dtype(arr.dtype, reducing)
        if wire == arr.dtype:
            return np.ascontiguousarray(arr)
        return arr.astype(wire) if reducing else np.ascontiguousarray(arr).view(wire)

    def unstage(self, buf, tensor):
        """Write `buf` (wire dtype, the tensor's number of elements) into `tensor`."""
        if tensor.device.type == "cpu" and buf is tensor._data:
            tensor._vc[0] += 1  # written in place by MPI
            return
        from .. import from_numpy, no_grad
        dtype = np.dtype(tensor._data.dtype)
        if buf.dtype == dtype:
            values = buf
        elif dtype != np.bool_ and buf.dtype == wire_dtype(dtype, reducing=False):  # a bit copy
            values = buf.view(dtype)
        else:  # a reduction staged through a wider dtype: round back
            values = buf.astype(dtype)
        with no_grad():
            tensor.copy_(from_numpy(np.ascontiguousarray(values).reshape(tuple(tensor.shape))))

    @staticmethod
    def alloc(shape, like):
        return np.empty(shape, like.dtype)

    @staticmethod
    def divide(buf, n):
        if buf.dtype.kind == "f":
            buf /= n
        else:  # integers average by truncation, as NCCL does
            np.copyto(buf, np.trunc(buf / n).astype(buf.dtype))

    def _op(self, op):
        return self._ops["sum" if op == "avg" else op]

    # each returns a list of requests; buffers must stay alive until they complete
    def allreduce(self, buf, op):
        return [self.comm.Iallreduce(self.MPI.IN_PLACE, buf, self._op(op))]

    def broadcast(self, buf, src):
        return [self.comm.Ibcast(buf, root=src)]

    def reduce(self, buf, dst, op):
        send = self.MPI.IN_PLACE if self.rank == dst else buf
        return [self.comm.Ireduce(send, buf if self.rank == dst else None, self._op(op), root=dst)]

    def allgather(self, send, recv):
        return [self.comm.Iallgather(send, recv)]

    def reduce_scatter(self, send, recv, op):
        return [self.comm.Ireduce_scatter_block(send, recv, self._op(op))]

    def gather(self, send, recv, dst):
        return [self.comm.Igather(send, recv if self.rank == dst else None, root=dst)]

    def scatter(self, send, recv, src):
        return [self.comm.Iscatter(send if self.rank == src else None, recv, root=src)]

    def alltoall(self, send, recv):
        return [self.comm.Ialltoall(send, recv)]

    def send(self, buf, dst, tag):
        return [self.comm.Isend(buf, dest=dst, tag=tag)]

    def recv(self, buf, src, tag):
        source = self.MPI.ANY_SOURCE if src is None else src
        return [_StatusRequest(self.comm.Irecv(buf, source=source, tag=tag), self.MPI.Status())]

    def barrier(self):
        return [self.comm.Ibarrier()]

    # requests
    def test(self, requests):
        return all(r.Test() for r in requests)

    def wait(self, requests):
        for r in requests:
            r.Wait()

    # objects (pickled between the ranks of one job, as torch.distributed's *_object calls do)
    def bcast_object(self, obj, src):
        return self.comm.bcast(obj, root=src)

    def allgather_object(self, obj):
        return self.comm.allgather(obj)

    def split(self, ranks):
        """A communicator over `ranks` (every rank of this one must call it)."""
        group = self.comm.Get_group().Incl(list(ranks))
        sub = self.comm.Create_group(group)
        return None if sub == self.MPI.COMM_NULL else MPIEngine(sub)

    def abort(self, code=1):
        self.comm.Abort(code)

    def close(self):
        if self.comm is not self.MPI.COMM_WORLD:
            self.comm.Free()


class _StatusRequest:
    """A receive request that keeps its MPI status (so recv(src=None) can tell the sender)."""

    def __init__(self, request, status):
        self.request, self.status = request, status

    def Test(self):
        return self.request.Test(self.status)

    def Wait(self):
        self.request.Wait(self.status)

    def source(self):
        return self.status.Get_source()
