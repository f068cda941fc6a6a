"""Streams and events.

A ``Stream`` wraps a ``CUstream`` handle (an int; 0 is the legacy default stream). Kernels,
copies, allocations and frees are queued on the *current* stream of the calling thread:
``current_stream()``, changed with ``with stream(s): ...``.

When the device is emulated every operation runs synchronously on the host, a stream is a
plain token and an ``Event`` records ``time.perf_counter()``.
"""
import contextlib
import threading
import time

from .device import check, driver_api, is_emulated

_current = threading.local()


class Stream:
    """A CUDA stream. ``Stream()`` creates a new non-blocking stream; ``Stream(handle=h)``
    wraps an existing ``CUstream`` (an int, e.g. from another library) without owning it."""

    def __init__(self, handle=None):
        self._owned = False
        if handle is not None or is_emulated():
            self.handle = int(handle or 0)
            return
        driver = driver_api()
        flags = driver.CUstream_flags.CU_STREAM_NON_BLOCKING
        self.handle = int(check(driver.cuStreamCreate(flags)))
        self._owned = True

    def synchronize(self):
        """Block the host until all work queued on this stream has finished."""
        if not is_emulated():
            check(driver_api().cuStreamSynchronize(self.handle))

    def wait_event(self, event):
        """Make future work on this stream wait until ``event`` has completed."""
        if not is_emulated():
            check(driver_api().cuStreamWaitEvent(self.handle, event.handle, 0))

    def wait_stream(self, other):
        """Make future work on this stream wait for all work queued so far on ``other``."""
        event = Event()
        event.record(other)
        self.wait_event(event)

    def __del__(self):
        if getattr(self, "_owned", False):
            try:
                driver_api().cuStreamDestroy(self.handle)
            except Exception:
                pass

    def __eq__(self, other):
        return isinstance(other, Stream) and other.handle == self.handle

    def __hash__(self):
        return hash(self.handle)

    def __repr__(self):
        return f"Stream(handle={self.handle:#x})"


def current_stream():
    """The stream that work from this thread is queued on (the default stream unless changed)."""
    value = getattr(_current, "stream", None)
    if value is None:
        value = _current.stream = Stream(handle=0)
    return value


@contextlib.contextmanager
def stream(s):
    """Context manager: queue work from this thread on ``s`` (a Stream) inside the block."""
    previous = current_stream()
    _current.stream = s
    try:
        yield s
    finally:
        _current.stream = previous


class Event:
    """A CUDA event, for ordering streams and timing.

    Example::

        start, end = Event(), Event()
        start.record(); fn(); end.record(); end.synchronize()
        ms = start.elapsed_time(end)
    """

    def __init__(self, enable_timing=True):
        self.enable_timing = enable_timing
        self.time = None
        self.handle = 0
        if not is_emulated():
            driver = driver_api()
            flags = 0 if enable_timing else driver.CUevent_flags.CU_EVENT_DISABLE_TIMING
            self.handle = int(check(driver.cuEventCreate(flags)))

    def record(self, stream=None):
        """Record the event on ``stream`` (default: the current stream)."""
        stream = stream or current_stream()
        if is_emulated():
            self.time = time.perf_counter()
        else:
            check(driver_api().cuEventRecord(self.handle, stream.handle))

    def synchronize(self):
        """Block the host until the recorded work has completed."""
        if not is_emulated():
            check(driver_api().cuEventSynchronize(self.handle))

    def query(self):
        """True when the recorded work has completed."""
        if is_emulated():
            return True
        driver = driver_api()
        err, = driver.cuEventQuery(self.handle)
        if err == driver.CUresult.CUDA_ERROR_NOT_READY:
            return False
        check((err,))
        return True

    def elapsed_time(self, end):
        """Milliseconds (float) between this event and ``end``; both must have been recorded."""
        if is_emulated():
            if self.time is None or end.time is None:
                raise RuntimeError("elapsed_time needs both events recorded")
            return (end.time - self.time) * 1e3
        return float(check(driver_api().cuEventElapsedTime(self.handle, end.handle)))

    def __del__(self):
        if getattr(self, "handle", 0):
            try:
                driver_api().cuEventDestroy(self.handle)
            except Exception:
                pass
