"""What a DataLoader worker process runs, and the fetchers that turn indices into batches.

Protocol (one index queue per worker, one shared result queue):
    main -> worker:  (task_idx, index)   fetch and collate `index` (a list of indices when batching)
                     _ResumeIteration()  new epoch (persistent workers): answer (it, None), restart
                     None                exit
    worker -> main:  (task_idx, batch)   or (task_idx, _ExceptionWrapper) or
                     (task_idx, _IterableDatasetStopIteration(worker_id)) when its iterable is spent.
A worker also exits when its parent process has died, so no orphan outlives the main process.
"""
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from .collate import default_collate

MP_STATUS_CHECK_INTERVAL = 5.0  # seconds between liveness checks while waiting on a queue

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """What `get_worker_info()` returns inside a worker: id (0..num_workers-1), num_workers, seed, dataset."""
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """This worker's WorkerInfo, or None in the main process.

    Example (shard an IterableDataset over workers):
        >>> info = get_worker_info()
        >>> my_items = items if info is None else items[info.id::info.num_workers]
    """
    return _worker_info


class _ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its formatted traceback."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    """KeyError repr()s its message; this keeps the traceback's newlines readable."""

    def __repr__(self):
        return self


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    seed: int = None


class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.collate_fn is default_collate:
            # a dataset of arrays can gather the whole batch with one index, with exactly the result
            # default_collate gives for its samples (same values, dtypes and structure)
            gather = getattr(self.dataset, "_collate_batch", None)
            batch = gather(index) if gather is not None else NotImplemented
            if batch is not NotImplemented:
                return batch
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    cls = _IterableDatasetFetcher if iterable else _MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def _seed_worker(seed):
    from ... import manual_seed
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence(seed).generate_state(1)[0])


def worker_loop(iterable, dataset, index_queue, result_queue, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers, parent_pid):
    """The body of worker `worker_id`: serve tasks from `index_queue` until it receives None."""
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    try:
        seed = base_seed + worker_id
        _seed_worker(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error, fetcher = None, None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = _ExceptionWrapper(sys.exc_info(), where)
        ended = False
        while True:
            try:
                task = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the main process is gone: do not linger as an orphan
                    break
                continue
            if task is None:
                break
            if isinstance(task, _ResumeIteration):
                result_queue.put((task, None))
                ended, init_error = False, None
                try:
                    fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
                except Exception:
                    init_error = _ExceptionWrapper(sys.exc_info(), where)
                continue
            if ended:
                continue  # an exhausted iterable: wait for the next epoch or the exit sentinel
            idx, index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    data, ended = (_IterableDatasetStopIteration(worker_id), True) if iterable else \
                        (_ExceptionWrapper(sys.exc_info(), where), False)
                except Exception:
                    data = _ExceptionWrapper(sys.exc_info(), where)
            result_queue.put((idx, data))
            del data, index  # drop references before blocking on the next task
    except KeyboardInterrupt:
        pass  # the main process decides what to do about Ctrl-C
    # Results still buffered for a main process that stopped reading must not block this exit.
    result_queue.cancel_join_thread()
    result_queue.close()
