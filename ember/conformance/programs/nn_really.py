""" "What is torch.nn really?": logistic regression from scratch, then refactored step by step to nn.Module,
nn.Linear, optim, TensorDataset/DataLoader, a fit() with validation, and a CNN in nn.Sequential."""

# conformance: trend factor=3 tol=0.2
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

import _data

raw = _data.mnist(n_train=1000, n_test=200)
x_train = _data.read_idx(os.path.join(raw, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255
y_train = _data.read_idx(os.path.join(raw, "train-labels-idx1-ubyte.gz")).astype(np.int64)
x_valid = _data.read_idx(os.path.join(raw, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255
y_valid = _data.read_idx(os.path.join(raw, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
n, c = x_train.shape
print(f"n={n} c={c} y_min={y_train.min().item()} y_max={y_train.max().item()}")

torch.manual_seed(0)
weights = torch.randn(784, 10) / math.sqrt(784)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


loss_func = nll
bs = 64
lr = 0.5
epochs = 2
xb, yb = x_train[0:bs], y_train[0:bs]
print(f"scratch start_loss={loss_func(model(xb), yb).item():.4f}")
for _epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        xb = x_train[start_i : start_i + bs]
        yb = y_train[start_i : start_i + bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
print(f"scratch end_loss={loss_func(model(xb), yb).item():.4f} scratch_acc={accuracy(model(xb), yb).item():.3f}")

loss_func = F.cross_entropy


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl, tag):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        print(f"{tag} epoch {epoch} {tag}_val_loss={val_loss:.4f}")


def get_data(train_ds, valid_ds, bs):
    return (DataLoader(train_ds, batch_size=bs, shuffle=True), DataLoader(valid_ds, batch_size=bs * 2))


train_dl, valid_dl = get_data(TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid), bs)
model = Mnist_Logistic()
fit(3, model, loss_func, optim.SGD(model.parameters(), lr=lr), train_dl, valid_dl, "logistic")


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x, y):
    return x.view(-1, 1, 28, 28), y


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield self.func(*b)


train_dl = WrappedDataLoader(train_dl, preprocess)
valid_dl = WrappedDataLoader(valid_dl, preprocess)
model = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
# the tutorial trains its CNN on 50,000 images; on 1,000 the loss leaves its 2.30 plateau after a few epochs
fit(10, model, loss_func, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), train_dl, valid_dl, "cnn")
