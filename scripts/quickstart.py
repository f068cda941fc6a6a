"""Quickstart: fit y = 3x - 2 + noise with a tiny two-layer network, written with tritorch's
tensors and autograd only (no nn, no optim). Runs on the CPU in a second and prints the
loss as it falls.

    python scripts/quickstart.py
"""
import tritorch as torch

torch.manual_seed(0)
x = torch.linspace(-1, 1, 64).unsqueeze(1)               # (64, 1) float32
y = 3 * x - 2 + 0.05 * torch.randn(64, 1)                # (64, 1)

w1 = (torch.randn(1, 16) * 0.5).requires_grad_()         # (1, 16)
b1 = torch.zeros(16, requires_grad=True)
w2 = (torch.randn(16, 1) * 0.25).requires_grad_()        # (16, 1)
b2 = torch.zeros(1, requires_grad=True)
params = [w1, b1, w2, b2]

lr = 0.2
for step in range(601):
    pred = torch.tanh(x @ w1 + b1) @ w2 + b2             # (64, 1)
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    if step % 100 == 0:
        print(f"step {step:3d}  loss {loss.item():.5f}")

print("prediction at x=0.5:", f"{(torch.tanh(torch.tensor([[0.5]]) @ w1 + b1) @ w2 + b2).item():.3f}",
      "(true 3*0.5-2 = -0.5)")
