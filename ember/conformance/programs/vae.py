"""pytorch/examples VAE: encoder to (mu, logvar), the reparameterisation trick, BCE + KL loss, Adam."""

# conformance: trend factor=1.5 tol=0.2
import os

import numpy as np
import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F

import _data


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc21 = nn.Linear(128, 8)
        self.fc22 = nn.Linear(128, 8)
        self.fc3 = nn.Linear(8, 128)
        self.fc4 = nn.Linear(128, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


torch.manual_seed(1)
raw = _data.mnist(n_train=1000, n_test=200)
images = torch.from_numpy(_data.read_idx(os.path.join(raw, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255)
test_images = torch.from_numpy(_data.read_idx(os.path.join(raw, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255)
train_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images), batch_size=64, shuffle=True)
test_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(test_images), batch_size=100)
model = VAE()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(1, 5):
    model.train()
    train_loss = 0
    for _batch_idx, (data,) in enumerate(train_loader):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for (data,) in test_loader:
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
    print(
        f"====> Epoch: {epoch} train_loss={train_loss / len(train_loader.dataset):.4f} "
        f"test_loss={test_loss / len(test_loader.dataset):.4f}"
    )
    with torch.no_grad():
        sample = model.decode(torch.randn(16, 8))
        print(f"sample_shape={sample.shape[0] * 1000 + sample.shape[1]}")
