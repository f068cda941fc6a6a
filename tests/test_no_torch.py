"""tritorch never imports torch: importing it and running a backward pass leaves torch out of sys.modules."""
import subprocess
import sys

CODE = """
import sys

attempts = []


class Spy:  # records every attempt to import torch, even one guarded by try/except ImportError
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            attempts.append(name)
        return None


sys.meta_path.insert(0, Spy())
import tritorch as torch
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
w = torch.randn(2, 3, requires_grad=True)
loss = (x @ w).softmax(-1).log().mean() + x.pow(2).sum()
loss.backward()
assert x.grad.shape == (2, 2) and w.grad.shape == (2, 3)
print(repr(x.grad))
bad = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
assert not bad and not attempts, (bad, attempts)
print("no torch")
"""


def test_import_and_backward_never_import_torch():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=600)  # a hang guard
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("no torch")
