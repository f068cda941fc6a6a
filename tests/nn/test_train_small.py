"""A small MLP and a small CNN learn synthetic tasks on the CPU with a hand-written SGD step."""
import numpy as np

import tritorch
import tritorch.nn as nn
import tritorch.nn.functional as F


def _sgd(model, lr):
    with tritorch.no_grad():
        for p in model.parameters():
            p.data -= lr * p.grad
    model.zero_grad()


def _accuracy(logits, y):
    return float((logits.argmax(1) == y).float().mean())


def test_mlp_learns_xor_of_quadrants():
    tritorch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (256, 2)).astype(np.float32)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)  # XOR of the quadrant signs: not linearly separable
    x, y = tritorch.tensor(x), tritorch.tensor(y)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 2))
    loss_fn = nn.CrossEntropyLoss()
    first = float(loss_fn(model(x), y))
    for _ in range(300):
        loss = loss_fn(model(x), y)
        loss.backward()
        _sgd(model, 0.5)
    model.eval()
    with tritorch.no_grad():
        out = model(x)
    assert float(loss_fn(out, y)) < 0.5 * first
    assert _accuracy(out, y) > 0.9


def _bars(n, rng):
    """8x8 images holding one horizontal (class 0) or vertical (class 1) bar, plus noise."""
    x = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 2, n)
    pos = rng.integers(1, 7, n)
    for i in range(n):
        if y[i] == 0:
            x[i, 0, pos[i], 1:7] += 1.5
        else:
            x[i, 0, 1:7, pos[i]] += 1.5
    return tritorch.tensor(x), tritorch.tensor(y)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding="same")
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.1), nn.Linear(8, 2))

    def forward(self, x):
        x = self.pool(F.relu(self.bn(self.conv1(x))))
        return self.head(F.relu(self.conv2(x)))


def test_cnn_learns_bar_orientation():
    tritorch.manual_seed(0)
    rng = np.random.default_rng(1)
    x, y = _bars(128, rng)
    xt, yt = _bars(64, rng)
    model = SmallCNN()
    with tritorch.no_grad():
        before = F.cross_entropy(model.eval()(xt), yt).item()
    model.train()
    for step in range(60):
        idx = slice((step % 4) * 32, (step % 4 + 1) * 32)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        _sgd(model, 0.1)
    model.eval()
    with tritorch.no_grad():
        out = model(xt)
    assert F.cross_entropy(out, yt).item() < 0.6 * before
    assert _accuracy(out, yt) > 0.85
    assert int(model.bn.num_batches_tracked) == 60
