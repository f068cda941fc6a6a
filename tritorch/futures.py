"""torch.futures: Future and wait_all, real and synchronous.

tritorch runs everything on the calling thread, so a Future is a value slot: `set_result` /
`set_exception` complete it, `wait()` returns the value (or raises the exception), `then(cb)` runs
`cb(self)` once it is done and returns a Future of cb's result. `wait()` on a Future that nothing
completed raises RuntimeError instead of hanging (no other thread could ever complete it).
"""
__all__ = ["Future", "collect_all", "wait_all"]

_PENDING = object()


class Future:
    """A result that completes once: set_result(value) or set_exception(error)."""

    def __init__(self, *, devices=None):
        self._value, self._error, self._callbacks = _PENDING, None, []

    def done(self):
        return self._value is not _PENDING or self._error is not None

    def set_result(self, result):
        self._complete(result, None)

    def set_exception(self, result):
        if not isinstance(result, Exception):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")
        self._complete(_PENDING, result)

    def _complete(self, value, error):
        if self.done():
            raise RuntimeError("Future can only be marked completed once.")
        self._value, self._error = value, error
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def wait(self):
        if not self.done():
            raise RuntimeError("Future.wait(): the future is not completed and nothing else can complete it "
                               "(tritorch runs futures synchronously); call set_result() first")
        if self._error is not None:
            raise self._error
        return self._value

    def value(self):
        return self.wait()

    def then(self, callback):
        """A Future of callback(self), completed when self is (at once if self is done)."""
        out = Future()

        def run(fut):
            try:
                out.set_result(callback(fut))
            except Exception as e:
                out.set_exception(e)
        self.add_done_callback(run)
        return out

    def add_done_callback(self, callback):
        if self.done():
            callback(self)
        else:
            self._callbacks.append(callback)


def collect_all(futures):
    """A Future completed with the list of `futures` once all of them are."""
    out, futures, left = Future(), list(futures), [len(futures)]
    if not futures:
        out.set_result([])

    def one_done(_):
        left[0] -= 1
        if left[0] == 0:
            out.set_result(futures)
    for fut in futures:
        fut.add_done_callback(one_done)
    return out


def wait_all(futures):
    """The values of `futures`, in order (raises the first one's error)."""
    return [fut.wait() for fut in futures]
