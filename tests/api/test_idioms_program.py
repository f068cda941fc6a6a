"""A small program written the way teaching and training code is, with `import tritorch as torch`:
device picking, seeding, backend flags, legacy types, torch.compile, the deprecated cuda.amp names,
out=, and a .pt checkpoint that PyTorch reads back. It must train (loss falls) on the cpu and on the
emulated cuda device, and the checkpoint must give PyTorch the same predictions."""
import numpy as np
import pytest

import tritorch as torch
import tritorch.nn as nn
import tritorch.nn.functional as F
import tritorch.onnx  # noqa: F401  (an unused import that real programs have)
from tritorch.autograd import Variable


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5).astype(np.int64)
    return x, y


@pytest.mark.parametrize("use_accelerator", [False, True])
def test_program_trains_and_pytorch_reads_its_checkpoint(tmp_path, use_accelerator):
    use_cuda = torch.cuda.is_available() and use_accelerator
    torch.manual_seed(1)
    if use_cuda:
        torch.cuda.manual_seed_all(1)
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.deterministic = True
    torch.backends.cuda.matmul.allow_tf32 = False
    if use_accelerator and torch.accelerator.is_available():
        device = torch.accelerator.current_accelerator()
    else:
        device = torch.device("cpu")
    x_np, y_np = _data()
    x = Variable(torch.FloatTensor(x_np)).to(device)
    y = Variable(torch.LongTensor(y_np)).to(device)
    assert x.type() == ("torch.cuda.FloatTensor" if use_cuda else "torch.FloatTensor")
    model = torch.compile(Net().to(device))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    with pytest.warns(FutureWarning):
        scaler = torch.cuda.amp.GradScaler(enabled=use_cuda)
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = F.nll_loss(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], losses
    with torch.no_grad():
        correct = torch.empty(0, dtype=torch.long, device=device)
        torch.sum(model(x).argmax(dim=1) == y, out=correct)
    assert correct.item() / len(y_np) > 0.6

    path = tmp_path / "model.pth"
    torch.save(model.state_dict(), path)
    oracle = pytest.importorskip("torch")
    sd = oracle.load(path, map_location="cpu")
    w1, b1, w2, b2 = (sd[k].numpy() for k in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"))
    theirs = np.maximum(x_np @ w1.T + b1, 0) @ w2.T + b2
    ours = model(torch.tensor(x_np, device=device)).detach().cpu().numpy()
    np.testing.assert_allclose(ours, theirs - np.log(np.exp(theirs).sum(1, keepdims=True)), rtol=1e-4, atol=1e-5)
