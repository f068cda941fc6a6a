"""DataLoader: batches from a dataset, in this process or in worker processes.

    loader = DataLoader(dataset, batch_size=32, shuffle=True, num_workers=2)
    for inputs, labels in loader:   # batches in sampler order, whatever the workers' timing
        ...

With `num_workers > 0`, batch i goes to worker i % num_workers (skipping finished workers), up
to `prefetch_factor` batches ahead per worker; results are reassembled in order. A worker's
exception is re-raised here with the worker's traceback in the message. Workers stop when the
epoch ends, on an exception, when the iterator is dropped (e.g. `break`) or closed, and at exit.
"""
import multiprocessing
import os
import queue
import warnings

from ... import _dtype
from ..._ops.creation import empty
from . import _worker
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class _InfiniteConstantSampler:
    """The sampler of an IterableDataset: None, forever (the dataset decides what comes next)."""

    def __iter__(self):
        while True:
            yield None


def _default_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _draw_seed(generator):
    return int(empty((), dtype=_dtype.int64).random_(0, 2 ** 63 - 1, generator=generator).item())


class DataLoader:
    """Iterate over `dataset` in batches.

    Args:
        dataset (Dataset): map-style (``__getitem__``/``__len__``) or an IterableDataset.
        batch_size (int, optional): samples per batch; ``None`` turns batching off. Default: ``1``.
        shuffle (bool, optional): a new random order every epoch. Default: ``False``.
        sampler (Sampler or iterable, optional): the order of indices (excludes ``shuffle``).
        batch_sampler (Sampler or iterable, optional): yields lists of indices (excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers (int, optional): worker processes; 0 loads in this process. Default: ``0``.
        collate_fn (callable, optional): list of samples -> batch. Default: ``default_collate``
            (``default_convert`` when batching is off).
        pin_memory (bool, optional): accepted for compatibility; host memory is used as is.
        drop_last (bool, optional): drop the last incomplete batch. Default: ``False``.
        timeout (float, optional): seconds to wait for a worker's batch before raising. Default: ``0`` (forever).
        worker_init_fn (callable, optional): called as ``worker_init_fn(worker_id)`` in each worker.
        multiprocessing_context (str or context, optional): start method. Default: ``'fork'`` where
            available, else ``'spawn'``.
        generator (Generator, optional): for the shuffle order and the workers' base seed.
        prefetch_factor (int, optional): batches in flight per worker. Default: ``2`` with workers.
        persistent_workers (bool, optional): keep the workers alive between epochs. Default: ``False``.
    """

    _frozen = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device=""):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            else:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else default_convert)
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._iterator = None
        self._initialized = True
        if num_workers > (os.cpu_count() or 1):
            warnings.warn(f"This DataLoader will create {num_workers} worker processes in total. Our suggested max "
                          f"number of worker in current system is {os.cpu_count()}, which is smaller than what this "
                          f"DataLoader is going to create.")

    @property
    def multiprocessing_context(self):
        return self._mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={context}")
        self._mp_context = context

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in self._frozen:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self._index_sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiProcessIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._collate_fn = loader.collate_fn
        self._index_sampler = loader._index_sampler
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = _draw_seed(loader.generator)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler)

    def _next_index(self):
        return next(self._sampler_iter)


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = _worker.create_fetcher(self._iterable, self._dataset, self._auto_collation,
                                               self._collate_fn, self._drop_last)

    def __next__(self):
        return self._fetcher.fetch(self._next_index())


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._shutdown = True  # until the workers exist, there is nothing to shut down
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        ctx = loader.multiprocessing_context or _default_context()
        self._result_queue = ctx.Queue()
        self._index_queues, self._workers = [], []
        for i in range(self._num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()  # never block this process's exit on undelivered tasks
            w = ctx.Process(target=_worker.worker_loop, daemon=True,
                            args=(self._iterable, self._dataset, index_queue, self._result_queue,
                                  self._auto_collation, self._collate_fn, self._drop_last, self._base_seed,
                                  loader.worker_init_fn, i, self._num_workers, os.getpid()))
            self._shutdown = False
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        if not first_iter:
            self._sampler_iter = iter(self._index_sampler)
        self._send_idx = 0  # next task to hand out
        self._rcvd_idx = 0  # next task to yield
        self._task_info = {}  # task -> (worker_id,) while pending, (worker_id, data) once arrived early
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers  # False: its iterable is spent this epoch
        self._worker_cycle = 0
        if not first_iter:  # persistent workers: drop the last epoch's stale results, then restart
            for q in self._index_queues:
                q.put(_worker._ResumeIteration())
            pending = self._num_workers
            while pending:
                idx, _ = self._get_data()
                if isinstance(idx, _worker._ResumeIteration):
                    pending -= 1
        for _ in range(max(self._prefetch_factor, 1) * self._num_workers):  # 0 would never start an epoch
            self._try_put_index()

    def _try_put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):  # the next worker whose iterable is not spent
            worker_id = self._worker_cycle
            self._worker_cycle = (self._worker_cycle + 1) % self._num_workers
            if self._workers_status[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _get_data(self):
        """The next (task_idx, data) from any worker; raises if workers died or `timeout` passed."""
        wait = self._timeout if self._timeout > 0 else _worker.MP_STATUS_CHECK_INTERVAL
        while True:
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                if self._timeout > 0:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
                dead = [w.pid for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    pids = ", ".join(str(p) for p in dead)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:  # skip tasks of workers that are done this epoch
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._workers_status[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                return self._process_data(self._task_info.pop(self._rcvd_idx)[1])
            if self._shutdown:
                raise StopIteration
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _worker._IterableDatasetStopIteration):
                self._workers_status[data.worker_id] = False
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
                continue
            del self._task_info[idx]
            return self._process_data(data)

    def _process_data(self, data):
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, _worker._ExceptionWrapper):
            if not self._persistent:
                self._shutdown_workers()
            data.reraise()
        return data

    def _shutdown_workers(self):
        """Send every worker the exit sentinel, join it (terminate as a last resort), close the queues."""
        if getattr(self, "_shutdown", True):
            return
        self._shutdown = True
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=_worker.MP_STATUS_CHECK_INTERVAL)
            if w.is_alive():
                w.terminate()
                w.join()
        for q in self._index_queues + [self._result_queue]:
            q.cancel_join_thread()
            q.close()

    close = _shutdown_workers

    def __del__(self):
        self._shutdown_workers()
