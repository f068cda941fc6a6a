"""torch.profiler for the regions a program labels: ``record_function`` blocks inside ``profile``.

tritorch does not instrument its ops, so the profile holds the labelled regions (host wall time,
self and total, calls) and nothing else -- no per-op rows, no device kernels. On a real GPU work is
queued asynchronously: a region's time is the time to *queue* its work unless the region ends in a
``tritorch.cuda.synchronize()``. ``schedule``/``on_trace_ready``/``step()`` and the Chrome trace
export follow PyTorch, so the usual loops run and ``tensorboard_trace_handler`` writes trace files.
"""
import enum
import json
import os
import socket
import threading
import time
import warnings

__all__ = ["profile", "record_function", "schedule", "ProfilerActivity", "ProfilerAction",
           "tensorboard_trace_handler"]

_active = threading.local()


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """PyTorch's step schedule: skip ``skip_first`` steps, then cycles of ``wait`` idle, ``warmup``
    and ``active`` recorded steps (the last one saves), ``repeat`` times (0: forever)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)

    def action(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        at = step % cycle
        if at < wait:
            return ProfilerAction.NONE
        if at < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if at < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return action


class record_function:
    """Context manager / decorator: time the block as a region named ``name`` in the active profile."""

    def __init__(self, name, args=None):
        self.name = name

    def __enter__(self):
        prof = getattr(_active, "profile", None)
        self._prof = prof if prof is not None and prof._recording else None
        if self._prof is not None:
            self._prof._open(self.name)
        return self

    def __exit__(self, *exc):
        if self._prof is not None:
            self._prof._close()
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        return wrapper


class _Row:
    def __init__(self, key):
        self.key, self.count, self.cpu_time_total, self.self_cpu_time_total = key, 0, 0.0, 0.0

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)


def _fmt_us(us):
    return f"{us / 1e3:.3f}ms" if us >= 1e3 else f"{us:.3f}us"


class _EventList(list):
    def table(self, sort_by=None, row_limit=100, **kwargs):
        rows = sorted(self, key=lambda r: -getattr(r, sort_by, 0.0)) if sort_by in (
            "cpu_time_total", "self_cpu_time_total", "count", "cpu_time") else list(self)
        total_self = sum(r.self_cpu_time_total for r in self) or 1.0
        width = max([len(r.key) for r in rows] + [4]) + 2
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        rule = "-" * width + "  " + "  ".join("-" * 12 for _ in cols)
        lines = [rule, "Name".rjust(width) + "  " + "  ".join(c.rjust(12) for c in cols), rule]
        for r in rows[:row_limit if row_limit and row_limit > 0 else None]:
            vals = [f"{100 * r.self_cpu_time_total / total_self:.2f}%", _fmt_us(r.self_cpu_time_total),
                    f"{100 * r.cpu_time_total / total_self:.2f}%", _fmt_us(r.cpu_time_total), _fmt_us(r.cpu_time),
                    str(r.count)]
            lines.append(r.key.rjust(width) + "  " + "  ".join(v.rjust(12) for v in vals))
        lines += [rule, f"Self CPU time total: {_fmt_us(sum(r.self_cpu_time_total for r in self))}", ""]
        return "\n".join(lines)

    def __str__(self):
        return self.table()


class profile:
    """``with profile(activities=[ProfilerActivity.CPU], schedule=..., on_trace_ready=...) as prof:``
    records the ``record_function`` regions of the steps the schedule marks (all, without one)."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        self.schedule, self.on_trace_ready = schedule, on_trace_ready
        self.step_num = 0
        self._events, self._stack = [], []
        self._recording = schedule is None

    # -- regions ------------------------------------------------------------------------------------
    def _open(self, name):
        self._stack.append([name, time.perf_counter_ns(), 0])

    def _close(self):
        name, start, children = self._stack.pop()
        dur = (time.perf_counter_ns() - start) / 1e3
        self._events.append(dict(name=name, ts=start / 1e3, dur=dur, self=dur - children))
        if self._stack:
            self._stack[-1][2] += dur

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self):
        self._previous = getattr(_active, "profile", None)
        _active.profile = self
        self._apply(self.schedule(self.step_num) if self.schedule else ProfilerAction.RECORD)

    def stop(self):
        _active.profile = self._previous
        if self.schedule is None and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _apply(self, action):
        if action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE) and not self._recording:
            self._events = []
        self._recording = action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)

    def step(self):
        """End a step: with a schedule, a RECORD_AND_SAVE step hands the profile to on_trace_ready."""
        if self.schedule is not None:
            if self.schedule(self.step_num) is ProfilerAction.RECORD_AND_SAVE and self.on_trace_ready:
                self.on_trace_ready(self)
            self.step_num += 1
            self._apply(self.schedule(self.step_num))
        else:
            self.step_num += 1

    # -- results ------------------------------------------------------------------------------------
    def events(self):
        return list(self._events)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        rows = {}
        for e in self._events:
            row = rows.setdefault(e["name"], _Row(e["name"]))
            row.count += 1
            row.cpu_time_total += e["dur"]
            row.self_cpu_time_total += e["self"]
        return _EventList(rows.values())

    def export_chrome_trace(self, path):
        trace = {"traceEvents": [dict(name=e["name"], ph="X", ts=e["ts"], dur=e["dur"], pid=os.getpid(),
                                      tid=threading.get_ident(), cat="user_annotation") for e in self._events],
                 "displayTimeUnit": "ms"}
        with open(path, "w") as fh:
            json.dump(trace, fh)


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An on_trace_ready callback writing ``<worker>.<ms>.pt.trace.json`` Chrome traces into ``dir_name``."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                dst.write(src.read())
            os.remove(path)
    return handler
