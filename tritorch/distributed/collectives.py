"""torch.distributed's collectives on tritorch tensors.

Each function stages its tensors into the engine's buffers (`engine.stage`), starts the
non-blocking operation, and returns a `Work` whose `wait()` completes it and writes the results
back (`engine.unstage`). With `async_op=False` (the default) the function waits itself and
returns None, as in PyTorch. `src`/`dst` are global ranks, as in PyTorch.
"""
import enum
import time

from . import process_group as pg


class ReduceOp:
    """dist.ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, BXOR."""

    class RedOpType(enum.Enum):
        SUM = "sum"
        AVG = "avg"
        PRODUCT = "product"
        MIN = "min"
        MAX = "max"
        BAND = "band"
        BOR = "bor"
        BXOR = "bxor"

    SUM, AVG, PRODUCT = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT
    MIN, MAX = RedOpType.MIN, RedOpType.MAX
    BAND, BOR, BXOR = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR


class reduce_op:  # the deprecated spelling some programs still use
    SUM, PRODUCT, MIN, MAX = ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX


class Work:
    """The handle of a started collective: `wait()` completes it (raising after the group's
    timeout instead of hanging forever), `is_completed()` polls it."""

    def __init__(self, engine, requests, finish=None, timeout=None, result=None):
        self.engine, self.requests, self._finish = engine, requests, finish
        self.timeout, self._result, self._done = timeout, result, False

    def is_completed(self):
        if not self._done and self.engine.test(self.requests):
            self._complete()
        return self._done

    def wait(self, timeout=None):
        if self._done:
            return True
        limit = timeout or self.timeout
        if limit is None:
            self.engine.wait(self.requests)
        else:
            deadline = time.monotonic() + limit.total_seconds()
            pause = 0.0
            while not self.engine.test(self.requests):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"a collective did not complete within {limit} (is another rank "
                                       f"waiting in a different collective, or did it fail?)")
                time.sleep(pause)
                pause = min(0.002, pause + 1e-5)
        self._complete()
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()
            self._finish = None

    def result(self):
        self.wait()
        return self._result

    def get_future(self):
        return self


def _run(engine, requests, finish, group, async_op, result=None):
    work = Work(engine, requests, finish, group.timeout, result)
    if async_op:
        return work
    work.wait()
    return None


def _setup(group, tensor):
    group = pg.resolve(group)
    if group is pg.GroupMember.NON_GROUP_MEMBER:
        return None, None
    return group, group.engine_for(tensor.device.type)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` over the group, in place on every rank."""
    group, engine = _setup(group, tensor)
    if group is None:
        return None
    buf = engine.stage(tensor, reducing=True)

    def finish():
        if op is ReduceOp.AVG:
            engine.divide(buf, group.size())
        engine.unstage(buf, tensor)
    return _run(engine, engine.allreduce(buf, op.value), finish, group, async_op)


def broadcast(tensor, src=0, group=None, async_op=False):
    """Every rank's `tensor` becomes rank `src`'s."""
    group, engine = _setup(group, tensor)
    if group is None:
        return None
    buf = engine.stage(tensor, reducing=False)
    return _run(engine, engine.broadcast(buf, group.group_rank(src)), lambda: engine.unstage(buf, tensor),
                group, async_op)


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank `dst`'s `tensor` becomes the reduction; the others' are left as they were."""
    group, engine = _setup(group, tensor)
    if group is None:
        return None
    buf = engine.stage(tensor, reducing=True)
    root = group.group_rank(dst)

    def finish():
        if group.rank() == root:
            if op is ReduceOp.AVG:
                engine.divide(buf, group.size())
            engine.unstage(buf, tensor)
    return _run(engine, engine.reduce(buf, root, op.value), finish, group, async_op)


def _check_list(tensors, n, what):
    if len(tensors) != n:
        raise ValueError(f"{what}: expected a list of {n} tensors (the group's size), got {len(tensors)}")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] <- rank i's `tensor` on every rank."""
    group, engine = _setup(group, tensor)
    if group is None:
        return None
    _check_list(tensor_list, group.size(), "all_gather")
    send = engine.stage(tensor, reducing=False)
    recv = engine.alloc((group.size(),) + tuple(send.shape), send)

    def finish():
        for i, out in enumerate(tensor_list):
            engine.unstage(recv[i], out)
    return _run(engine, engine.allgather(send, recv), finish, group, async_op)


def _check_world_times(what, big_name, big, small_name, small, group):
    """`big` must hold world_size times the elements of `small`."""
    if big.numel() != group.size() * small.numel():
        raise ValueError(f"{what}: {big_name} of {big.numel()} elements, expected "
                         f"world_size ({group.size()}) x {small_name} ({small.numel()})")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """`output_tensor` (world_size * n elements: stacked or concatenated) <- every rank's input."""
    group, engine = _setup(group, input_tensor)
    if group is None:
        return None
    _check_world_times("all_gather_into_tensor", "output", output_tensor, "input", input_tensor, group)
    send = engine.stage(input_tensor, reducing=False)
    recv = engine.alloc((group.size(),) + tuple(send.shape), send)
    return _run(engine, engine.allgather(send, recv), lambda: engine.unstage(recv, output_tensor), group, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """`output` <- this rank's 1/world_size share of the reduction of every rank's `input`."""
    group, engine = _setup(group, input)
    if group is None:
        return None
    _check_world_times("reduce_scatter_tensor", "input", input, "output", output, group)
    send = engine.stage(input, reducing=True)
    recv = engine.alloc(tuple(output.shape), send)

    def finish():
        if op is ReduceOp.AVG:
            engine.divide(recv, group.size())
        engine.unstage(recv, output)
    return _run(engine, engine.reduce_scatter(send, recv, op.value), finish, group, async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """`output` <- the reduction over ranks of input_list[this rank]."""
    from .. import stack
    group_ = pg.resolve(group)
    if group_ is not pg.GroupMember.NON_GROUP_MEMBER:
        _check_list(input_list, group_.size(), "reduce_scatter")
    return reduce_scatter_tensor(output, stack([t.detach() for t in input_list]), op, group, async_op)


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """On rank `dst`, gather_list[i] <- rank i's `tensor`."""
    group, engine = _setup(group, tensor)
    if group is None:
        return None
    root = group.group_rank(dst)
    if group.rank() == root:
        _check_list(gather_list or [], group.size(), "gather")
    send = engine.stage(tensor, reducing=False)
    recv = engine.alloc((group.size(),) + tuple(send.shape), send)

    def finish():
        if group.rank() == root:
            for i, out in enumerate(gather_list):
                engine.unstage(recv[i], out)
    return _run(engine, engine.gather(send, recv, root), finish, group, async_op)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """`tensor` <- scatter_list[this rank] of rank `src`."""
    from .. import stack
    group, engine = _setup(group, tensor)
    if group is None:
        return None
    root = group.group_rank(src)
    recv = engine.stage(tensor, reducing=False)
    send = None
    if group.rank() == root:
        _check_list(scatter_list or [], group.size(), "scatter")
        send = engine.stage(stack([t.detach() for t in scatter_list]), reducing=False)
    return _run(engine, engine.scatter(send, recv, root), lambda: engine.unstage(recv, tensor), group, async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    """Equal splits only: rank j's output block i <- rank i's input block j."""
    if output_split_sizes is not None or input_split_sizes is not None:
        raise NotImplementedError("all_to_all_single: uneven split sizes are not supported yet")
    group, engine = _setup(group, input)
    if group is None:
        return None
    send = engine.stage(input, reducing=False)
    recv = engine.alloc(tuple(send.shape), send)
    return _run(engine, engine.alltoall(send, recv), lambda: engine.unstage(recv, output), group, async_op)


def isend(tensor, dst, group=None, tag=0):
    group, engine = _setup(group, tensor)
    buf = engine.stage(tensor, reducing=False)
    return Work(engine, engine.send(buf, group.group_rank(dst), tag), None, group.timeout)


def irecv(tensor, src=None, group=None, tag=0):
    group, engine = _setup(group, tensor)
    buf = engine.stage(tensor, reducing=False)
    peer = None if src is None else group.group_rank(src)
    requests = engine.recv(buf, peer, tag)
    return Work(engine, requests, lambda: engine.unstage(buf, tensor), group.timeout, result=src)


def send(tensor, dst, group=None, tag=0):
    isend(tensor, dst, group, tag).wait()


def recv(tensor, src=None, group=None, tag=0):
    """Receive into `tensor`; returns the sender's rank."""
    work = irecv(tensor, src, group, tag)
    work.wait()
    if src is None:
        return pg.resolve(group).ranks[work.requests[0].source()]
    return src


def barrier(group=None, async_op=False, device_ids=None):
    group = pg.resolve(group)
    if group is pg.GroupMember.NON_GROUP_MEMBER:
        return None
    engine = group.host or next(iter(group.engines.values()))
    return _run(engine, engine.barrier(), None, group, async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    barrier(group)


# objects: pickled between the ranks of this job only (as torch.distributed does)
def _host(group):
    group = pg.resolve(group)
    if group.host is None:
        raise RuntimeError("object collectives need the MPI engine (launch with mpirun / tritorch run)")
    return group, group.host


def broadcast_object_list(object_list, src=0, group=None, device=None):
    group, engine = _host(group)
    object_list[:] = engine.bcast_object(list(object_list), group.group_rank(src))


def all_gather_object(object_list, obj, group=None):
    group, engine = _host(group)
    _check_list(object_list, group.size(), "all_gather_object")
    object_list[:] = engine.allgather_object(obj)


def gather_object(obj, object_gather_list=None, dst=0, group=None):
    group, engine = _host(group)
    everything = engine.allgather_object(obj)
    if group.rank() == group.group_rank(dst):
        object_gather_list[:] = everything
