"""Test models that stop their own process: a real SIGKILL / SIGINT at a chosen training forward.

The call number comes from the environment (TRITORCH_TEST_KILL_AT, TRITORCH_TEST_SIGINT_AT), so
the same config runs uninterrupted when the variable is unset (e.g. on --resume).
"""
import os
import signal

import tritorch.nn as nn


class KillableMLP(nn.Module):
    """64 -> hidden -> 10 with dropout (so resuming must restore the RNG too)."""

    def __init__(self, hidden=32, p=0.2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(p), nn.Linear(hidden, 10))
        self.calls = 0

    def forward(self, x):
        if self.training:
            self.calls += 1
            for var, sig in (("TRITORCH_TEST_KILL_AT", signal.SIGKILL), ("TRITORCH_TEST_SIGINT_AT", signal.SIGINT)):
                if os.environ.get(var) and self.calls == int(os.environ[var]):
                    os.kill(os.getpid(), sig)
        return self.net(x.flatten(1))
