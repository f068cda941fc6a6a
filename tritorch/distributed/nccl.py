"""The NCCL engine (cuda tensors): collectives through nccl4py's low-level bindings on raw device
pointers, queued on tritorch's current stream.

nccl4py's high-level buffer layer probes PyTorch when it is installed, so this engine calls
`nccl.bindings.nccl` (pointers, counts, dtype and op codes) and never imports torch. The
operations run in stream order on the current stream: a later kernel sees their result, and
`Work.wait()` has nothing left to do on the host (no communication/compute overlap yet).

The unique id that joins the ranks travels over MPI when the job was started by mpirun, or
through a file named by `init_method='file:///shared/path'` (rank 0 writes it, the others wait).

NOT RUN ON A GPU: there is no GPU where this was written; the tests drive it with a recording
stand-in for the bindings (arguments, bootstrap, dtype/op mapping), never with real NCCL.
"""
import os
import time

import numpy as np

_DTYPES = {"float16": "FLOAT16", "float32": "FLOAT32", "float64": "FLOAT64", "bfloat16": "BFLOAT16",
           "int8": "INT8", "uint8": "UINT8", "bool": "UINT8", "int32": "INT32", "int64": "INT64"}
_OPS = {"sum": "SUM", "product": "PROD", "max": "MAX", "min": "MIN", "avg": "AVG"}


def import_nccl():
    try:
        import nccl.bindings.nccl as bindings
    except ImportError:
        raise RuntimeError("the 'nccl' backend needs nccl4py and the NCCL runtime: "
                           "pip install nccl4py nvidia-nccl-cu12") from None
    return bindings


def exchange_unique_id(rank, make_id, host, init_method, timeout):
    """The bytes of rank 0's unique id, on every rank: over MPI, else through a file."""
    if host is not None and getattr(host, "name", "") == "mpi":
        return host.bcast_object(make_id() if rank == 0 else None, 0)
    if not (init_method or "").startswith("file://"):
        raise RuntimeError("nccl without mpirun needs init_method='file:///a/shared/path' to exchange its "
                           "unique id (or launch with `tritorch run -n N` / mpirun)")
    path = init_method[len("file://"):] + ".nccl_id"
    if rank == 0:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(make_id())
        os.replace(tmp, path)
        return open(path, "rb").read()
    deadline = time.monotonic() + timeout.total_seconds()
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise RuntimeError(f"rank {rank}: no NCCL unique id appeared at {path} within {timeout}")
        time.sleep(0.05)
    return open(path, "rb").read()


class NCCLEngine:
    name = "nccl"

    def __init__(self, bindings, comm, rank, size):
        self.nccl, self.comm, self.rank, self.size = bindings, comm, rank, size

    @classmethod
    def create(cls, rank, size, host, init_method, timeout, device_id=None):
        bindings = import_nccl()
        from .. import cuda
        from .process_group import local_rank
        index = device_id.index if hasattr(device_id, "index") else device_id
        cuda.set_device(local_rank() if index is None else index)
        uid = exchange_unique_id(rank, lambda: bytes(bindings.get_unique_id()), host, init_method, timeout)
        comm = bindings.comm_init_rank(size, bindings.UniqueId.from_buffer(uid), rank)
        return cls(bindings, comm, rank, size)

    # device buffers
    def stage(self, tensor, reducing):
        if tensor.device.type != "cuda":
            raise RuntimeError(f"the nccl engine moves cuda tensors, got a {tensor.device} tensor")
        return tensor.detach().contiguous()

    def unstage(self, buf, tensor):
        if buf.data_ptr() != tensor.data_ptr() or not tensor.is_contiguous():
            from .. import no_grad
            with no_grad():
                tensor.copy_(buf.reshape(tensor.shape))

    @staticmethod
    def alloc(shape, like):
        from .. import empty
        return empty(shape, dtype=like.dtype, device=like.device)

    @staticmethod
    def divide(buf, n):
        pass  # NCCL averages itself (ncclAvg)

    def _args(self, buf):
        dtype = str(np.dtype(buf._data.dtype))  # ml_dtypes names bfloat16 'bfloat16'
        return buf.data_ptr(), buf.numel(), int(getattr(self.nccl.DataType, _DTYPES[dtype]))

    def _op(self, op):
        if op not in _OPS:
            raise ValueError(f"ReduceOp.{op.upper()} is not supported by NCCL")
        return int(getattr(self.nccl.RedOp, _OPS[op]))

    @staticmethod
    def _stream():
        from ..cuda.streams import current_stream
        return current_stream().handle

    # each enqueues on the current stream and returns no requests: stream order completes them
    def allreduce(self, buf, op):
        ptr, n, dt = self._args(buf)
        self.nccl.all_reduce(ptr, ptr, n, dt, self._op(op), self.comm, self._stream())
        return []

    def broadcast(self, buf, src):
        ptr, n, dt = self._args(buf)
        self.nccl.broadcast(ptr, ptr, n, dt, src, self.comm, self._stream())
        return []

    def reduce(self, buf, dst, op):
        ptr, n, dt = self._args(buf)
        self.nccl.reduce(ptr, ptr, n, dt, self._op(op), dst, self.comm, self._stream())
        return []

    def allgather(self, send, recv):
        ptr, n, dt = self._args(send)
        self.nccl.all_gather(ptr, recv.data_ptr(), n, dt, self.comm, self._stream())
        return []

    def reduce_scatter(self, send, recv, op):
        ptr, n, dt = self._args(recv)
        self.nccl.reduce_scatter(send.data_ptr(), ptr, n, dt, self._op(op), self.comm, self._stream())
        return []

    def _exchange(self, sends, recvs):
        """Point-to-point transfers as one NCCL group: sends/recvs are (peer, buffer) pairs."""
        stream = self._stream()
        self.nccl.group_start()
        try:
            for peer, buf in sends:
                ptr, n, dt = self._args(buf)
                self.nccl.send(ptr, n, dt, peer, self.comm, stream)
            for peer, buf in recvs:
                ptr, n, dt = self._args(buf)
                self.nccl.recv(ptr, n, dt, peer, self.comm, stream)
        finally:
            self.nccl.group_end()
        return []

    def gather(self, send, recv, dst):
        if self.rank != dst:
            return self._exchange([(dst, send)], [])
        recv[self.rank].copy_(send)
        return self._exchange([], [(peer, recv[peer]) for peer in range(self.size) if peer != dst])

    def scatter(self, send, recv, src):
        if self.rank != src:
            return self._exchange([], [(src, recv)])
        recv.copy_(send[self.rank])
        return self._exchange([(peer, send[peer]) for peer in range(self.size) if peer != src], [])

    def alltoall(self, send, recv):
        chunks_in, chunks_out = send.reshape(self.size, -1), recv.reshape(self.size, -1)
        chunks_out[self.rank].copy_(chunks_in[self.rank])
        peers = [p for p in range(self.size) if p != self.rank]
        return self._exchange([(p, chunks_in[p]) for p in peers], [(p, chunks_out[p]) for p in peers])

    def send(self, buf, dst, tag):
        return self._exchange([(dst, buf)], [])

    def recv(self, buf, src, tag):
        if src is None:
            raise RuntimeError("nccl cannot receive from any source: name src")
        return self._exchange([], [(src, buf)])

    def barrier(self):
        from .. import ones
        return self.allreduce(ones(1, device="cuda"), "sum")

    def test(self, requests):
        return True

    def wait(self, requests):
        pass

    def split(self, ranks):
        raise NotImplementedError("new_group with the nccl engine is not supported yet")

    def close(self):
        self.nccl.comm_destroy(self.comm)
