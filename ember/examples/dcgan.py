"""A 32x32 DCGAN, as PyTorch's examples/dcgan/main.py: ConvTranspose generator, LeakyReLU discriminator.

    python examples/dcgan.py                      # digits stand-in (1 channel), 25 epochs, batch 32
    python examples/dcgan.py --root ./data --ngf 64 --ndf 64 --epochs 25   # real CIFAR-10 (3 channels)

Data: CIFAR-10 python batches from ROOT/cifar-10-batches-py/ when --root is given; otherwise the
Fashion-MNIST-format digits stand-in (written under ./data), resized to 32x32. Losses use
BCEWithLogitsLoss (the discriminator ends without a Sigmoid), Adam lr 2e-4, betas (0.5, 0.999).
Saves real_samples.png and fake_epoch_<e>.png (the fixed noise through the generator) under --out.
The defaults (1,125 steps of batch 32, a couple of minutes on 2 cores) turn the fakes from grey noise into
digit-like strokes by about epoch 15 and recognisable digits by epoch 25 (wider nets, --ngf 32 --ndf 32,
give cleaner digits in the same number of steps, at about 2.5 times the time per step).
"""
import os

import ember as torch
from ember.utils import data
from ember.vision import datasets, transforms, utils as vutils

from ember.examples._common import (History, beta, device_or_fail, digits_as_fashion_mnist, fail, parser,
                                    positive, progress)


def weights_init(m):
    """Custom weights initialization called on netG and netD (the DCGAN paper's N(0, 0.02))."""
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        m.weight.data.normal_(0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


def make_models(T=torch):
    """The Generator and Discriminator classes for 32x32 images, built on T (ember or torch)."""
    nn = T.nn

    class Generator(nn.Module):
        def __init__(self, nz, ngf, nc):
            super().__init__()
            self.main = nn.Sequential(
                # input is Z, going into a convolution
                nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
                nn.BatchNorm2d(ngf * 4),
                nn.ReLU(True),
                # state size. (ngf*4) x 4 x 4
                nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * 2),
                nn.ReLU(True),
                # state size. (ngf*2) x 8 x 8
                nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf),
                nn.ReLU(True),
                # state size. (ngf) x 16 x 16
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
                nn.Tanh()
                # state size. (nc) x 32 x 32
            )

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self, ndf, nc):
            super().__init__()
            self.main = nn.Sequential(
                # input is (nc) x 32 x 32
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                # state size. (ndf) x 16 x 16
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                # state size. (ndf*2) x 8 x 8
                nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 4),
                nn.LeakyReLU(0.2, inplace=True),
                # state size. (ndf*4) x 4 x 4
                nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
                # a logit per image: BCEWithLogitsLoss applies the sigmoid
            )

        def forward(self, input):
            return self.main(input).view(-1)

    return Generator, Discriminator


Generator, Discriminator = make_models(torch)


def load_dataset(root, limit):
    """(dataset, channels): CIFAR-10 from root when given, else the digits stand-in resized to 32x32."""
    if root is not None:
        folder = os.path.join(root, datasets.CIFAR10.base_folder)
        if not os.path.isdir(folder):
            fail(f"no CIFAR-10 under {root}: extract cifar-10-python.tar.gz (https://www.cs.toronto.edu/~kriz/"
                 f"cifar.html) there so that {folder}/data_batch_1 exists, or leave out --root for the digits")
        transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
        try:
            dataset, nc = datasets.CIFAR10(root=root, train=True, transform=transform), 3
        except RuntimeError as e:
            fail(str(e))
    else:
        digits_as_fashion_mnist("data")
        transform = transforms.Compose([transforms.Resize(32), transforms.ToTensor(),
                                        transforms.Normalize((0.5,), (0.5,))])
        dataset, nc = datasets.FashionMNIST("data", train=True, transform=transform), 1
    if limit is not None:
        dataset = data.Subset(dataset, range(min(limit, len(dataset))))
    return dataset, nc


def main(argv=None):
    p = parser(__doc__.splitlines()[0], epochs=25, batch_size=32, lr=0.0002)
    p.add_argument("--root", default=None, help="folder holding cifar-10-batches-py/ (default: the digits stand-in)")
    p.add_argument("--nz", type=positive, default=100, help="size of the latent z vector")
    p.add_argument("--ngf", type=positive, default=16, help="generator width (the PyTorch example uses 64)")
    p.add_argument("--ndf", type=positive, default=16, help="discriminator width (the PyTorch example uses 64)")
    p.add_argument("--beta1", type=beta, default=0.5)
    p.add_argument("--limit", type=positive, default=None, help="train on the first N images only (smoke runs)")
    args = p.parse_args(argv)
    device = device_or_fail(torch, args.device)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    dataset, nc = load_dataset(args.root, args.limit)
    dataloader = data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers)

    netG = Generator(args.nz, args.ngf, nc).to(device)
    netG.apply(weights_init)
    netD = Discriminator(args.ndf, nc).to(device)
    netD.apply(weights_init)

    criterion = torch.nn.BCEWithLogitsLoss()
    fixed_noise = torch.randn(args.batch_size, args.nz, 1, 1, device=device)
    real_label, fake_label = 1.0, 0.0
    optimizerD = torch.optim.Adam(netD.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=args.lr, betas=(args.beta1, 0.999))

    history = History(args)
    for epoch in range(1, args.epochs + 1):
        sums = {"loss_D": 0.0, "loss_G": 0.0, "D_x": 0.0, "D_G_z": 0.0}
        for i, (real, _) in enumerate(progress(dataloader, args.quiet, f"epoch {epoch}")):
            ############################
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            ###########################
            netD.zero_grad()
            real_cpu = real.to(device)
            batch_size = real_cpu.size(0)
            label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype, device=device)
            output = netD(real_cpu)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = torch.sigmoid(output).mean().item()

            noise = torch.randn(batch_size, args.nz, 1, 1, device=device)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            errD = errD_real + errD_fake
            optimizerD.step()

            ############################
            # (2) Update G network: maximize log(D(G(z)))
            ###########################
            netG.zero_grad()
            label.fill_(real_label)  # fake labels are real for generator cost
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z = torch.sigmoid(output).mean().item()
            optimizerG.step()

            for key, value in (("loss_D", errD.item()), ("loss_G", errG.item()), ("D_x", D_x), ("D_G_z", D_G_z)):
                sums[key] += value
            if epoch == 1 and i == 0:
                vutils.save_image(real_cpu, os.path.join(args.out, "real_samples.png"), normalize=True)
        history.log(epoch, **{k: v / len(dataloader) for k, v in sums.items()})
        with torch.no_grad():
            fake = netG(fixed_noise)
        vutils.save_image(fake.detach(), os.path.join(args.out, f"fake_epoch_{epoch}.png"), normalize=True)
    print(f"saved {args.out}/real_samples.png and fake_epoch_1..{args.epochs}.png")
    history.close("dcgan")
    result = {name: values[-1] for name, values in history.rows.items()}
    result["fake_images"] = fake
    return result


if __name__ == "__main__":
    main()
