"""A Tunable whose configs misbehave on purpose (tests import it as "fake_tunables:FAKE").

config["MODE"]: 1 correct; 2 fast but wrong (zeros); 3 hangs (creates the file $FAKE_HANG_MARKER, when
set, then blocks on a read that never completes); 4 kills its process; 5 Ctrl-C when $FAKE_INTERRUPT is 1;
6 raises; 7 correct but slow. ``CALLS`` lists the modes run in this process. ``CLOCK[0]`` is a simulated
clock in ms that each run advances (0.5 ms; 4 ms for MODE 7): timed tests read it, never the wall clock.
"""
import os

import numpy as np

from tritorch.cuda import zeros
from tritorch.tune import Tunable

CALLS = []
CLOCK = [0.0]


def run(x, shape, config):
    mode = config["MODE"]
    CALLS.append(mode)
    if mode == 2:
        return zeros(x["a"].shape, np.float32)
    if mode == 3:
        if os.environ.get("FAKE_HANG_MARKER"):
            open(os.environ["FAKE_HANG_MARKER"], "w").close()
        never, _ = os.pipe()
        os.read(never, 1)  # blocks for good: nothing writes to this pipe
    if mode == 4:
        os._exit(3)
    if mode == 5 and os.environ.get("FAKE_INTERRUPT") == "1":
        raise KeyboardInterrupt
    if mode == 6:
        raise RuntimeError("this config cannot launch")
    CLOCK[0] += 4.0 if mode == 7 else 0.5
    return x["a"]


FAKE = Tunable(
    name="fake", params=("n",),
    space=lambda s, d: [dict(MODE=m, num_warps=4) for m in (1, 2, 3, 4, 5, 6, 7)],
    default=lambda s, d: dict(MODE=1, num_warps=1),
    key=lambda s, d: f"{d}|n{s['n']}",
    inputs=lambda s, d, rng: {"a": rng.standard_normal(s["n"]).astype(np.float32)},
    run=run, reference=lambda x, s: np.asarray(x["a"], np.float64),
    work=lambda s, d: (0, 8 * s["n"]), resources=lambda c, s, d: (c.get("SMEM", 0), 8))
