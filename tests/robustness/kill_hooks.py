"""`python kill_hooks.py ARGS` = `tritorch ARGS`, with a SIGKILL at a chosen moment (the environment):

    KILL_AT_STEP=7              when optimizer step 7 begins (its forward and backward done, no update yet)
    KILL_AFTER_ROW=val/loss:1   right after the 1st metrics row holding "val/loss" is written (and before
                                the checkpoint that follows it)
    KILL_IN_SAVE=3              after the 3rd temp file of checkpoints/last is written and synced, before
                                its rename (a save killed mid-write leaves .last.safetensors.PID.tmp)

The moments are counted in events, not seconds, so a test does not depend on the machine's speed.
"""
import os
import signal
import sys


def _install():
    if os.environ.get("KILL_AT_STEP"):
        from tritorch.train.trainer import Trainer
        real_step = Trainer._optimizer_step

        def optimizer_step(self, clip):
            if self.state["step"] + 1 == int(os.environ["KILL_AT_STEP"]):
                os.kill(os.getpid(), signal.SIGKILL)
            return real_step(self, clip)

        Trainer._optimizer_step = optimizer_step
    if os.environ.get("KILL_AFTER_ROW"):
        from tritorch.train import metrics
        key, n = os.environ["KILL_AFTER_ROW"].rsplit(":", 1)
        seen, real_log = [0], metrics.MetricLog.log

        def log(self, row):
            real_log(self, row)
            if key in row:
                seen[0] += 1
                if seen[0] == int(n):
                    os.kill(os.getpid(), signal.SIGKILL)

        metrics.MetricLog.log = log
    if os.environ.get("KILL_IN_SAVE"):
        real_fsync, calls = os.fsync, [0]

        def fsync(fd):
            real_fsync(fd)
            if ".last.safetensors." in os.readlink(f"/proc/self/fd/{fd}"):
                calls[0] += 1
                if calls[0] == int(os.environ["KILL_IN_SAVE"]):
                    os.kill(os.getpid(), signal.SIGKILL)

        os.fsync = fsync


if __name__ == "__main__":
    _install()
    from tritorch.cli import main
    sys.exit(main(sys.argv[1:]))
