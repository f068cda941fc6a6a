"""Triton is an optional extra ([cuda], [interpret], [dev]): without it `import tritorch` and CPU
training work, and the cuda device, the kernels and `tritorch tune` say what to install in one line."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BLOCK = """
import sys
class NoTriton:  # as if triton were not installed
    def find_spec(self, name, path=None, target=None):
        if name == "triton" or name.startswith("triton."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NoTriton())
"""

TRAIN = BLOCK + """
import tritorch
from tritorch.train import Trainer
summary = Trainer({"device": "cpu", "data": {"dataset": {"type": "Digits", "flatten": True}, "val_fraction": 0.2},
                   "model": {"type": "Linear", "in_features": 64, "out_features": 10},
                   "optimizer": {"type": "SGD", "lr": 0.1},
                   "trainer": {"max_steps": 3, "progress": False, "output_dir": sys.argv[1]}}).fit()
assert summary["status"] == "completed", summary
assert not [m for m in sys.modules if m.split(".")[0] == "triton"]
print("cpu ok")
try:
    tritorch.ones(3, device="cuda") + 1
except ModuleNotFoundError as e:
    print("op:", e)
try:
    import tritorch.kernels
except ModuleNotFoundError as e:
    print("import:", e)
"""


def _run(code, *args, env=None):
    full_env = dict(os.environ, PYTHONPATH=REPO, **(env or {}))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=full_env,
                          cwd=REPO, timeout=600)  # a hang guard only


def test_cpu_training_without_triton_and_clear_messages(tmp_path):
    out = _run(TRAIN, str(tmp_path / "run"), env={"TRITON_INTERPRET": "1"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "cpu ok" in lines
    message = ("needs Triton, which is not installed: pip install -e '.[cuda]' on a GPU machine, or pip install "
               "-e '.[interpret]' to")
    assert [line[:7] for line in lines if message in line] == ["op: tri", "import:"], lines


def test_tune_without_triton_is_one_line(tmp_path):
    code = BLOCK + "from tritorch.cli import main\nsys.exit(main(['tune', '--show']))\n"
    out = _run(code, env={"TRITORCH_CACHE_DIR": str(tmp_path)})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("error: tritorch.kernels needs Triton") and len(out.stderr.splitlines()) == 1
