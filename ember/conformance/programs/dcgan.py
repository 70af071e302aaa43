"""pytorch/examples DCGAN (small): ConvTranspose2d generator, strided-conv discriminator, weights_init by
class name, BCELoss with label tensors filled in place, two Adam optimizers with betas=(0.5, 0.999)."""

# conformance: trend factor=4 tol=0.3
import os

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data

import _data

nz, ngf, ndf, nc = 16, 16, 16, 1


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


torch.manual_seed(999)
raw = _data.mnist(n_train=1000, n_test=200)
images = _data.read_idx(os.path.join(raw, "train-images-idx3-ubyte.gz"))[:, 6:22, 6:22].astype(np.float32)
dataset = torch.utils.data.TensorDataset(torch.from_numpy(images / 127.5 - 1).unsqueeze(1))
dataloader = torch.utils.data.DataLoader(dataset, batch_size=50, shuffle=True, drop_last=True)
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
netG = Generator().to(device)
netG.apply(weights_init)
netD = Discriminator().to(device)
netD.apply(weights_init)
criterion = nn.BCELoss()
fixed_noise = torch.randn(16, nz, 1, 1, device=device)
real_label, fake_label = 1, 0
optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
for epoch in range(3):
    d_total = g_total = dx_total = 0.0
    for _i, (data,) in enumerate(dataloader):
        netD.zero_grad()
        real_cpu = data.to(device)
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype, device=device)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = torch.randn(batch_size, nz, 1, 1, device=device)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        optimizerG.step()
        d_total, g_total, dx_total = d_total + errD.item(), g_total + errG.item(), dx_total + D_x
    n = len(dataloader)
    print(f"[{epoch}] Loss_D: {d_total / n:.4f} Loss_G: {g_total / n:.4f} D_x_score={dx_total / n:.4f}")
    with torch.no_grad():
        fake = netG(fixed_noise).detach().cpu()
    print(f"fake_shape={fake.shape[0] * 1000 + fake.shape[2]} fake_in_range={int(fake.abs().max().item() <= 1)}")
torch.save(netG.state_dict(), "netG.pth")
