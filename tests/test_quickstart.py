"""scripts/quickstart.py (the smallest example in the README) runs and its loss falls."""
import pathlib
import re
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "quickstart.py"


def test_quickstart_loss_falls():
    out = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=600)  # a hang guard
    assert out.returncode == 0, out.stderr
    losses = [float(v) for v in re.findall(r"loss ([0-9.]+)", out.stdout)]
    assert len(losses) >= 3 and losses[-1] < losses[0] / 100 and losses[-1] < 0.01
