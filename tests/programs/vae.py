"""A variational autoencoder (the PyTorch examples' VAE, smaller): encoder to (mu, logvar), the
reparameterisation trick, a sigmoid decoder, BCE(sum) + KL loss."""
import numpy as np

D, H, Z = 64, 32, 4


def build(torch):
    nn, F = torch.nn, torch.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(D, H)
            self.fc21, self.fc22 = nn.Linear(H, Z), nn.Linear(H, Z)
            self.fc3, self.fc4 = nn.Linear(Z, H), nn.Linear(H, D)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar, eps):
            std = torch.exp(0.5 * logvar)
            return mu + eps * std

        def decode(self, z):
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

        def forward(self, x, eps):
            mu, logvar = self.encode(x.view(-1, D))
            return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar

    return VAE()


def loss_function(torch, recon_x, x, mu, logvar):
    bce = torch.nn.functional.binary_cross_entropy(recon_x, x.view(-1, D), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def data(steps, batch=16, seed=0):
    """8x8 images of one of four blob templates plus noise, in [0, 1]; and the reparameterisation noise."""
    rng = np.random.default_rng(seed)
    templates = np.zeros((4, 8, 8), np.float32)
    templates[0, :4, :4] = templates[1, 4:, 4:] = templates[2, :4, 4:] = templates[3, 4:, :4] = 1.0
    xs = templates[rng.integers(0, 4, (steps, batch))]
    xs = np.clip(xs * 0.9 + 0.05 + 0.05 * rng.standard_normal(xs.shape), 0, 1).astype(np.float32)
    eps = rng.standard_normal((steps, batch, Z)).astype(np.float32)
    return xs, eps


def train(torch, model, xs, eps, lr=1e-2):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for x, e in zip(xs, eps):
        x = torch.from_numpy(x)
        optimizer.zero_grad()
        recon, mu, logvar = model(x, torch.from_numpy(e))
        loss = loss_function(torch, recon, x, mu, logvar)
        loss.backward()
        optimizer.step()
        losses.append(loss.item() / len(x))
    return losses


if __name__ == "__main__":
    import tritorch as torch
    torch.manual_seed(0)
    print(train(torch, build(torch), *data(40)))
