"""Whole training steps on the emulated cuda device equal the same steps on the CPU (float32): an
MLP, a small CNN, an LSTM and a tiny Transformer, each through forward, backward, gradient
clipping and a fused optimizer step; and a training step copies nothing back to the host."""
import copy

import numpy as np
import pytest

import tritorch as torch
import tritorch.nn as nn
import tritorch.nn.functional as F

from cuda_cases import count_copies


def mlp():
    return nn.Sequential(nn.Linear(7, 16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 5))


def cnn():
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, stride=1),
                         nn.ReLU(), nn.AvgPool2d(2, ceil_mode=True), nn.Flatten(), nn.Linear(6, 5))


class LSTMHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, batch_first=True)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class TinyTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1], device=x.device)
        return self.head(self.layer(x, src_mask=mask, is_causal=True)[:, -1])


CASES = {
    "mlp": (mlp, (6, 7), lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=0.1)),
    "cnn": (cnn, (3, 2, 9, 9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
    "lstm": (LSTMHead, (3, 4, 5), lambda ps: torch.optim.RMSprop(ps, lr=1e-2, momentum=0.5)),
    # the key bias's gradient is 0 up to rounding noise, which Adam with a tiny eps would turn into +-lr
    "transformer": (TinyTransformer, (2, 5, 16), lambda ps: torch.optim.Adam(ps, lr=1e-2, eps=1e-4, amsgrad=True)),
}


def train_steps(model, opt, x, y, steps=2):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.detach())
    return losses


@pytest.mark.parametrize("name", list(CASES))
def test_training_step_on_cuda_equals_cpu(name):
    build, shape, make_opt = CASES[name]
    torch.manual_seed(0)
    cpu_model = build()
    gpu_model = copy.deepcopy(cpu_model).to("cuda")
    x, y = torch.randn(*shape), torch.randint(0, 5, (shape[0],))
    cpu_losses = train_steps(cpu_model, make_opt(cpu_model.parameters()), x, y)
    gpu_losses = train_steps(gpu_model, make_opt(gpu_model.parameters()), x.cuda(), y.cuda())
    for got, want in zip(gpu_losses, cpu_losses):
        assert got.device.type == "cuda"
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    for (pname, got), want in zip(gpu_model.named_parameters(), cpu_model.parameters()):
        assert got.device.type == "cuda" and got.grad.device.type == "cuda", pname
        np.testing.assert_allclose(got.grad.cpu().numpy(), want.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=pname)
        np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=pname)
    assert not torch.equal(cpu_losses[0], cpu_losses[1])  # the step changed the model


@pytest.mark.parametrize("name", ["cnn", "transformer"])
def test_a_training_step_makes_no_device_to_host_copies(name, monkeypatch):
    build, shape, make_opt = CASES[name]
    torch.manual_seed(0)
    model = build().to("cuda")
    opt = make_opt(model.parameters())
    x, y = torch.randn(*shape, device="cuda"), torch.randint(0, 5, (shape[0],), device="cuda")
    train_steps(model, opt, x, y, steps=1)  # state created, kernels compiled
    copies = count_copies(monkeypatch, "dtoh")
    loss, = train_steps(model, opt, x, y, steps=1)
    assert copies == []
    assert np.isfinite(loss.item()) and len(copies) == 1  # the counter sees a deliberate read


class TinyGPT(nn.Module):
    """Token embedding + causal Transformer layer + head: the shape of a char-level GPT step."""

    def __init__(self, vocab=11):
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.head = nn.Linear(16, vocab)

    def forward(self, tokens):
        mask = nn.Transformer.generate_square_subsequent_mask(tokens.shape[1], device=tokens.device)
        return self.head(self.layer(self.embed(tokens), src_mask=mask, is_causal=True))


def test_a_gpt_step_makes_no_device_to_host_copies(monkeypatch):
    torch.manual_seed(0)
    model = TinyGPT().to("cuda")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    tokens = torch.randint(0, 11, (2, 6), device="cuda")

    def step():
        opt.zero_grad()
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 11), tokens[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        return loss
    step()  # optimizer state created, kernels compiled
    copies = count_copies(monkeypatch, "dtoh")
    step()
    assert copies == []
