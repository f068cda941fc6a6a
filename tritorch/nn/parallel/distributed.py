"""DistributedDataParallel: one model replica per process, gradients averaged across processes.

At construction rank 0's parameters and buffers are broadcast to every rank. Parameters are
packed, in reverse registration order (roughly the order backward produces their gradients), into
buckets of at most `bucket_cap_mb`; when the last gradient of a bucket has been accumulated
during backward (a post-accumulate-grad hook), the bucket's average over the ranks starts as a
non-blocking all-reduce, while backward goes on computing the next buckets' gradients. Buckets
start strictly in order on every rank, on a communicator of DDP's own (so they never interleave
with the program's collectives), and the last one's arrival writes the averages into `.grad`.
"""
import contextlib

from ... import distributed as dist
from ...autograd import grad_mode
from ..modules.module import Module


class _Bucket:
    def __init__(self, params):
        self.params = params
        self.pending = len(params)
        self.work = None
        self.flat = None


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None):
        super().__init__()
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        self.module = module
        self.device_ids = device_ids
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        group = dist.process_group.resolve(process_group)
        self.process_group = group
        self._world = group.size()
        # a communicator of DDP's own: its bucket all-reduces never interleave with the program's
        try:
            self._reduce_group = dist.new_group(group.ranks) if self._world > 1 else group
        except NotImplementedError:
            self._reduce_group = group
        self._params = [p for p in module.parameters() if p.requires_grad]
        self._sync_module_states()
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._buckets, self._bucket_of = self._make_buckets(cap)
        self._next_bucket = 0
        self._expect_backward = False
        self._backward_started = False
        self._used = set()
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in self._params]

    # -- construction -------------------------------------------------------------------------
    def _sync_module_states(self):
        if self._world == 1:
            return
        src = self.process_group.ranks[0]
        with grad_mode.no_grad():
            for t in list(self.module.parameters()) + [b for b in self.module.buffers() if b is not None]:
                dist.broadcast(t.data, src=src, group=self.process_group)

    def _make_buckets(self, cap):
        """Reverse parameter order, split at `cap` bytes and wherever dtype or device changes."""
        buckets, current, size, key = [], [], 0, None
        for p in reversed(self._params):
            nbytes = p.numel() * p.element_size()
            if current and (size + nbytes > cap or (p.dtype, p.device) != key):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += nbytes
            key = (p.dtype, p.device)
        if current:
            buckets.append(_Bucket(current))
        bucket_of = {id(p): b for b in buckets for p in b.params}
        return buckets, bucket_of

    # -- forward ------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._backward_started:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This "
                "error indicates that your module has parameters that were not used in producing loss. You can "
                "enable unused parameter detection by passing the keyword argument `find_unused_parameters=True` "
                "to `torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function "
                "outputs participate in calculating loss.")
        if self.broadcast_buffers and self._world > 1:
            with grad_mode.no_grad():
                for b in self.module.buffers():
                    if b is not None:
                        dist.broadcast(b.data, src=self.process_group.ranks[0], group=self.process_group)
        out = self.module(*inputs, **kwargs)
        if grad_mode.is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(out)
        return out

    def _prepare_for_backward(self, out):
        for b in self._buckets:
            b.pending, b.work, b.flat = len(b.params), None, None
        self._next_bucket = 0
        self._used = set()
        self._expect_backward = True
        if self.find_unused_parameters:
            reachable = _reachable_leaves(out)
            for p in self._params:
                if id(p) not in reachable:
                    self._bucket_of[id(p)].pending -= 1

    # -- backward -----------------------------------------------------------------------------
    def _grad_ready(self, p):
        if not (self._expect_backward and self.require_backward_grad_sync):
            return
        self._backward_started = True
        self._used.add(id(p))
        self._bucket_of[id(p)].pending -= 1
        while self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].pending <= 0:
            self._launch(self._buckets[self._next_bucket])
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            self._finish()

    def _launch(self, bucket):
        from ... import cat, zeros
        with grad_mode.no_grad():
            pieces = [(p.grad if p.grad is not None else zeros(p.shape, dtype=p.dtype, device=p.device)).reshape(-1)
                      for p in bucket.params]
            bucket.flat = cat(pieces) if len(pieces) > 1 else pieces[0].clone()
            op = dist.ReduceOp.AVG if bucket.flat.is_floating_point() else dist.ReduceOp.SUM
            bucket.work = dist.all_reduce(bucket.flat, op=op, group=self._reduce_group, async_op=True)

    def _finish(self):
        used_anywhere = self._globally_used() if self.find_unused_parameters else None
        with grad_mode.no_grad():
            for bucket in self._buckets:
                bucket.work.wait()
                offset = 0
                for p in bucket.params:
                    n = p.numel()
                    avg = bucket.flat[offset:offset + n].reshape(p.shape)
                    offset += n
                    if p.grad is not None:
                        p.grad.copy_(avg)
                    elif used_anywhere is None or id(p) in used_anywhere:
                        p.grad = avg.clone()
                bucket.work = bucket.flat = None
        self._expect_backward = self._backward_started = False

    def _globally_used(self):
        """ids of the parameters that some rank used this iteration (one small all-reduce)."""
        from ... import tensor, uint8
        flags = tensor([1 if id(p) in self._used else 0 for p in self._params], dtype=uint8)
        dist.all_reduce(flags, op=dist.ReduceOp.MAX, group=self._reduce_group)
        return {id(p) for p, f in zip(self._params, flags.tolist()) if f}

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward only accumulates local gradients; the next synced backward averages
        the accumulated sum."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _get_name(self):
        return "DistributedDataParallel"


def _reachable_leaves(outputs):
    """ids of the leaf tensors that the autograd graph of `outputs` reaches."""
    from ...autograd.function import AccumulateGrad
    roots = []

    def collect(x):
        if hasattr(x, "grad_fn") and x.grad_fn is not None:
            roots.append(x.grad_fn)
        elif isinstance(x, (list, tuple)):
            for y in x:
                collect(y)
        elif isinstance(x, dict):
            for y in x.values():
                collect(y)
    collect(outputs)
    seen, stack, leaves = set(), roots, set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            leaves.add(id(node.variable))
        stack.extend(n for n, _ in node.next_functions)
    return leaves
