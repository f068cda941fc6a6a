"""Training progress on stderr: a one-line bar on a terminal, plain log lines elsewhere.

    bar = Progress(total=1000, enabled=None)   # None: the bar when stderr is a TTY, else plain lines
    bar.update(step, epoch=0, loss=0.31, lr=1e-3)
    bar.write("epoch 3: val/accuracy 0.97")    # a normal line (stdout, bar or not)
    bar.close()

Plain lines (under nohup, a redirect, CI) are what Lightning and the HF Trainer print there:

    step 120/1000 (12%) epoch 1 loss 0.3123 lr 0.001 85.3 it/s eta 00:10

one at the first logged step, then at a step that is a multiple of `every_steps` once `every_s`
seconds have passed since the previous one (every_s=0: at each such step; None: never), and one at
the last step. The bar is hand-written rather than tqdm: it needs the same fields, and a
dependency for CPU users who never see it on a terminal buys nothing.
"""
import sys
import time


def _fmt_time(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60:02d}:{seconds % 60:02d}"


def _fmt_fields(fields):
    return " ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in fields.items())


class Progress:
    def __init__(self, total, start=0, enabled=None, stream=None, width=24, min_interval=0.1,
                 every_steps=10, every_s=10.0):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total, self.start, self.width = total, start, width
        self.t0 = self.last = time.perf_counter()
        self.min_interval = min_interval
        self.every_steps, self.every_s = every_steps, every_s
        self.last_line = None  # perf_counter() of the previous plain line
        self.shown = False

    def rate(self, step):
        elapsed = time.perf_counter() - self.t0
        return (step - self.start) / elapsed if elapsed > 0 else 0.0

    def _eta(self, step, rate):
        return _fmt_time((self.total - step) / rate) if rate > 0 and self.total else "--:--"

    def update(self, step, **fields):
        if not self.enabled:
            return self._plain(step, fields)
        now = time.perf_counter()
        if now - self.last < self.min_interval and step < self.total:
            return
        self.last = now
        rate = self.rate(step)
        frac = min(step / self.total, 1.0) if self.total else 0.0
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{step}/{self.total} [{bar}] {frac:4.0%} {rate:.1f} it/s {_fmt_fields(fields)} "
                          f"eta {self._eta(step, rate)}\x1b[K")
        self.stream.flush()
        self.shown = True

    def _plain(self, step, fields):
        if self.every_s is None:
            return
        now = time.perf_counter()
        last = step >= self.total
        due = step % self.every_steps == 0 and (self.last_line is None or now - self.last_line >= self.every_s)
        if not (due or last):
            return
        self.last_line = now
        rate = self.rate(step)
        frac = f" ({min(step / self.total, 1.0):.0%})" if self.total else ""
        self.stream.write(f"step {step}/{self.total}{frac} {_fmt_fields(fields)} {rate:.1f} it/s "
                          f"eta {self._eta(step, rate)}\n")
        self.stream.flush()

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
