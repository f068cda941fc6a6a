"""A small Vision Transformer: patch embedding by a strided Conv2d, a class token, learned position
embeddings, multi-head attention written with einsum, pre-norm blocks; it learns to tell
horizontal from vertical stripes."""
import numpy as np


def build(torch, dim=32, heads=4, depth=2, patch=4, image=16, classes=2):
    nn = torch.nn

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads, self.scale = heads, (dim // heads) ** -0.5
            self.qkv = nn.Linear(dim, dim * 3, bias=False)
            self.proj = nn.Linear(dim, dim)

        def forward(self, x):
            b, n, _ = x.shape
            q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
            attn = torch.einsum("bhid,bhjd->bhij", q, k) * self.scale
            out = torch.einsum("bhij,bhjd->bhid", attn.softmax(dim=-1), v)
            return self.proj(out.transpose(1, 2).reshape(b, n, -1))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1, self.attn = nn.LayerNorm(dim), Attention()
            self.norm2 = nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

        def forward(self, x):
            x = x + self.attn(self.norm1(x))
            return x + self.mlp(self.norm2(x))

    class ViT(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch_embed = nn.Conv2d(1, dim, kernel_size=patch, stride=patch)
            num_patches = (image // patch) ** 2
            self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
            self.pos_embed = nn.Parameter(torch.randn(1, num_patches + 1, dim) * 0.02)
            self.blocks = nn.ModuleList([Block() for _ in range(depth)])
            self.norm = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, classes)

        def forward(self, x):
            x = self.patch_embed(x).flatten(2).transpose(1, 2)  # (B, N, dim)
            cls = self.cls_token.expand(x.shape[0], -1, -1)
            x = torch.cat((cls, x), dim=1) + self.pos_embed
            for blk in self.blocks:
                x = blk(x)
            return self.head(self.norm(x)[:, 0])

    return ViT()


def data(steps, batch=16, seed=0):
    rng = np.random.default_rng(seed)
    xs = np.zeros((steps, batch, 1, 16, 16), np.float32)
    ys = rng.integers(0, 2, (steps, batch))
    for s in range(steps):
        for b in range(batch):
            period, phase = rng.integers(2, 5), rng.integers(0, 4)
            stripes = ((np.arange(16) + phase) // period % 2).astype(np.float32)
            xs[s, b, 0] = stripes[:, None] if ys[s, b] else stripes[None, :]
    xs += 0.1 * rng.standard_normal(xs.shape).astype(np.float32)
    return xs, ys


def train(torch, model, xs, ys, lr=3e-3):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    losses = []
    for x, y in zip(xs, ys):
        logits = model(torch.from_numpy(x))
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


if __name__ == "__main__":
    import tritorch as torch
    torch.manual_seed(0)
    print(train(torch, build(torch), *data(30)))
