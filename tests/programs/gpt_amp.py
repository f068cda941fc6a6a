"""A small GPT (nanoGPT's shape: causal self-attention, MLP, pre-norm blocks, tied head) trained
under torch.amp.autocast with a GradScaler, on the device the program picks with the usual idiom
(torch.cuda.is_available(), then torch.accelerator)."""
from contextlib import nullcontext
import math

import numpy as np

TEXT = "to be or not to be that is the question whether tis nobler in the mind to suffer " * 4


def pick_device(torch):
    if torch.cuda.is_available():
        return "cuda"
    if hasattr(torch, "accelerator") and torch.accelerator.is_available():
        return torch.accelerator.current_accelerator().type
    return "cpu"


def build(torch, vocab, block=16, n_embd=32, n_head=4, n_layer=2):
    nn, F = torch.nn, torch.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(n_embd, dim=2)
            k = k.view(B, T, n_head, C // n_head).transpose(1, 2)  # (B, nh, T, hs)
            q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
            v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.attn = nn.LayerNorm(n_embd), CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(n_embd)
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(vocab, n_embd), wpe=nn.Embedding(block, n_embd),
                h=nn.ModuleList([Block() for _ in range(n_layer)]), ln_f=nn.LayerNorm(n_embd)))
            self.lm_head = nn.Linear(n_embd, vocab, bias=False)
            self.transformer.wte.weight = self.lm_head.weight
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith("c_proj.weight"):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            t = idx.size(1)
            pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
            x = self.transformer.wte(idx) + self.transformer.wpe(pos)
            for block in self.transformer.h:
                x = block(x)
            logits = self.lm_head(self.transformer.ln_f(x))
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
            return logits, loss

    return GPT()


def data(steps, batch=8, block=16, seed=0):
    chars = sorted(set(TEXT))
    ids = np.array([chars.index(c) for c in TEXT], np.int64)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - block - 1, (steps, batch))
    xs = np.stack([[ids[s:s + block] for s in row] for row in starts])
    ys = np.stack([[ids[s + 1:s + 1 + block] for s in row] for row in starts])
    return len(chars), xs, ys


def train(torch, model, xs, ys, device, amp=True, lr=3e-3):
    """nanoGPT's loop: bfloat16 autocast on the CPU, float16 + a live GradScaler on a GPU."""
    device_type = "cuda" if "cuda" in device else "cpu"
    dtype = torch.float16 if device_type == "cuda" else torch.bfloat16
    ctx = torch.amp.autocast(device_type=device_type, dtype=dtype) if amp else nullcontext()
    scaler = torch.amp.GradScaler(device_type, enabled=amp and dtype == torch.float16)
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    losses = []
    for x, y in zip(xs, ys):
        x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        with ctx:
            _, loss = model(x, y)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
    return losses


if __name__ == "__main__":
    import tritorch as torch
    torch.manual_seed(0)
    vocab, xs, ys = data(30)
    device = pick_device(torch)
    print(device, train(torch, build(torch, vocab), xs, ys, device))
