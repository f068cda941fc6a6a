"""A one-line progress bar on stderr: step, %, steps/s, loss, lr, ETA. Quiet when not a terminal.

    bar = Progress(total=1000, enabled=None)   # None: on when stderr is a TTY
    bar.update(step, loss=0.31, lr=1e-3)
    bar.write("epoch 3: val/accuracy 0.97")    # a normal line (also printed when the bar is off)
    bar.close()
"""
import sys
import time


def _fmt_time(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60:02d}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total, start=0, enabled=None, stream=None, width=24, min_interval=0.1):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total, self.start, self.width = total, start, width
        self.t0 = self.last = time.perf_counter()
        self.min_interval = min_interval
        self.shown = False

    def rate(self, step):
        elapsed = time.perf_counter() - self.t0
        return (step - self.start) / elapsed if elapsed > 0 else 0.0

    def update(self, step, **fields):
        now = time.perf_counter()
        if not self.enabled or (now - self.last < self.min_interval and step < self.total):
            return
        self.last = now
        rate = self.rate(step)
        frac = min(step / self.total, 1.0) if self.total else 0.0
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        eta = _fmt_time((self.total - step) / rate) if rate > 0 and self.total else "--:--"
        extra = " ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in fields.items())
        self.stream.write(f"\r{step}/{self.total} [{bar}] {frac:4.0%} {rate:.1f} it/s {extra} eta {eta}\x1b[K")
        self.stream.flush()
        self.shown = True

    def write(self, line):
        """Print a line above the bar (stdout), whether or not the bar is on."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        print(line, flush=True)

    def close(self):
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False
