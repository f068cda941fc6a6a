"""A DCGAN-style generator/discriminator pair (ConvTranspose2d, BatchNorm, LeakyReLU, BCE) on 16x16
synthetic images, written as a PyTorch user writes it (run with `import tritorch as torch`)."""
import numpy as np

NZ = 8


def build(torch):
    nn = torch.nn

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(NZ, 32, 4, 1, 0, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),   # 4x4
                nn.ConvTranspose2d(32, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(True),   # 8x8
                nn.ConvTranspose2d(16, 1, 4, 2, 1, bias=False), nn.Tanh())                            # 16x16

        def forward(self, z):
            return self.main(z)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(1, 16, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),              # 8x8
                nn.Conv2d(16, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(32, 1, 4, 1, 0, bias=False), nn.Sigmoid())

        def forward(self, x):
            return self.main(x).view(-1, 1).squeeze(1)

    def weights_init(m):
        name = m.__class__.__name__
        if name.find("Conv") != -1:
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif name.find("BatchNorm") != -1:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.constant_(m.bias, 0)

    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    return netG, netD


def data(steps, batch=16, seed=0):
    """Real images (bright squares at random places, in [-1, 1]) and latent noise, per step."""
    rng = np.random.default_rng(seed)
    real = -np.ones((steps, batch, 1, 16, 16), np.float32)
    for s in range(steps):
        for b in range(batch):
            i, j = rng.integers(0, 10, 2)
            real[s, b, 0, i:i + 6, j:j + 6] = 1.0
    noise = rng.standard_normal((steps, batch, NZ, 1, 1)).astype(np.float32)
    return real, noise


def train(torch, netG, netD, real, noise, lr_d=2e-3, lr_g=2e-4):
    """The DCGAN example's loop; returns the discriminator and generator losses per step."""
    criterion = torch.nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=lr_d, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=lr_g, betas=(0.5, 0.999))
    d_losses, g_losses = [], []
    for x, z in zip(real, noise):
        x, z = torch.from_numpy(x), torch.from_numpy(z)
        b = x.size(0)
        netD.zero_grad()
        label = torch.full((b,), 1.0, dtype=x.dtype)
        errD_real = criterion(netD(x), label)
        errD_real.backward()
        fake = netG(z)
        label.fill_(0.0)
        errD_fake = criterion(netD(fake.detach()), label)
        errD_fake.backward()
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        errG = criterion(netD(fake), label)
        errG.backward()
        optG.step()
        d_losses.append((errD_real + errD_fake).item())
        g_losses.append(errG.item())
    return d_losses, g_losses


if __name__ == "__main__":
    import tritorch as torch
    torch.manual_seed(0)
    G, D = build(torch)
    print(train(torch, G, D, *data(20)))
