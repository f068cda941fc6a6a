"""torch.multiprocessing: Python's multiprocessing, plus ``spawn`` / ``start_processes``.

Everything in ``multiprocessing`` is here (``Process``, ``Queue``, ``set_start_method``, ...).
Tensors passed to other processes are pickled by value (tritorch has no shared-memory tensors:
``Tensor.share_memory_`` raises saying so), so a child's in-place changes do not reach the parent.
"""
import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403

__all__ = list(getattr(_mp, "__all__", [])) + ["spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
                                              "ProcessExitedException"]


class ProcessRaisedException(Exception):
    """A spawned process raised: its index and traceback."""

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.error_index, self.pid = error_index, error_pid


class ProcessExitedException(ProcessRaisedException):
    """A spawned process died with a non-zero exit code."""

    def __init__(self, msg, error_index, error_pid, exit_code):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code


def _wrap(fn, i, args, errors):
    import traceback
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except BaseException:
        errors.put((i, traceback.format_exc()))
        raise SystemExit(1)


class ProcessContext:
    """The processes of one ``start_processes`` call; ``join()`` waits for all of them and raises
    ProcessRaisedException / ProcessExitedException naming the first that failed."""

    def __init__(self, processes, errors):
        self.processes, self.errors = processes, errors

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        for p in self.processes:
            p.join(timeout)
        failed = [(i, p) for i, p in enumerate(self.processes) if p.exitcode not in (0, None)]
        if not failed:
            return all(p.exitcode == 0 for p in self.processes)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        if not self.errors.empty():
            i, trace = self.errors.get()
            raise ProcessRaisedException(f"\n\n-- Process {i} terminated with the following error:\n{trace}", i,
                                         self.processes[i].pid)
        i, p = failed[0]
        raise ProcessExitedException(f"process {i} terminated with exit code {p.exitcode}", i, p.pid, p.exitcode)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` for i in range(nprocs), each in its own process."""
    ctx = _mp.get_context(start_method)
    errors = ctx.SimpleQueue()
    processes = [ctx.Process(target=_wrap, args=(fn, i, args, errors), daemon=daemon) for i in range(nprocs)]
    for p in processes:
        p.start()
    context = ProcessContext(processes, errors)
    if not join:
        return context
    context.join()
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``start_processes`` with PyTorch's default start method (spawn)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
