"""A small library in the manner of d2l's `d2l.torch` module, for the d2l-style programs: data loading in
the Fashion-MNIST idx format, an Accumulator, accuracy, training loops, a time-machine-like corpus.
Like d2l, it binds torch functions as module attributes at import."""

import collections
import os
import random
import re

import numpy as np
import torch
from torch import nn
from torch.utils import data

import _data

meshgrid = torch.meshgrid  # d2l binds these at import, as the real d2l does
ones, zeros, tensor, arange = torch.ones, torch.zeros, torch.tensor, torch.arange
argmax = lambda x, *args, **kwargs: x.argmax(*args, **kwargs)  # noqa: E731
astype = lambda x, *args, **kwargs: x.type(*args, **kwargs)  # noqa: E731
reduce_sum = lambda x, *args, **kwargs: x.sum(*args, **kwargs)  # noqa: E731
size = lambda x, *args, **kwargs: x.numel(*args, **kwargs)  # noqa: E731


class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def load_array(data_arrays, batch_size, is_train=True):
    return data.DataLoader(data.TensorDataset(*data_arrays), batch_size, shuffle=is_train)


def load_data_fashion_mnist(batch_size, resize=None, n_train=600, n_test=200):
    raw = _data.mnist("FashionMNIST", n_train=n_train, n_test=n_test, seed=7)

    def part(prefix):
        x = torch.from_numpy(_data.read_idx(os.path.join(raw, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32))
        x = (x / 255).unsqueeze(1)
        if resize:
            x = nn.functional.interpolate(x, size=resize, mode="bilinear", align_corners=False)
        y = torch.from_numpy(_data.read_idx(os.path.join(raw, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64))
        return x, y

    return load_array(part("train"), batch_size), load_array(part("t10k"), batch_size, False)


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = argmax(y_hat, axis=1)
    cmp = astype(y_hat, y.dtype) == y
    return float(reduce_sum(astype(cmp, y.dtype)))


def evaluate_accuracy(net, data_iter):
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    for epoch in range(num_epochs):
        train_loss, train_acc = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        print(f"epoch {epoch + 1} train_loss={train_loss:.4f} train_acc={train_acc:.3f} test_acc={test_acc:.3f}")


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device=torch.device("cpu")):
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)

    net.apply(init_weights)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        metric = Accumulator(3)
        net.train()
        for X, y in train_iter:
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
        test_acc = evaluate_accuracy(net, test_iter)
        print(
            f"epoch {epoch + 1} train_loss={metric[0] / metric[2]:.4f} train_acc={metric[1] / metric[2]:.3f} "
            f"test_acc={test_acc:.3f}"
        )


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


class Vocab:
    def __init__(self, tokens, min_freq=0, reserved_tokens=()):
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: (-x[1], x[0]))
        self.idx_to_token = ["<unk>"] + list(reserved_tokens)
        self.idx_to_token += [t for t, f in self.token_freqs if f >= min_freq and t not in self.idx_to_token]
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, 0)
        return [self.__getitem__(token) for token in tokens]


def load_corpus_time_machine():
    with open(os.path.join(_data.text_corpus(), "train.txt")) as f:
        text = re.sub("[^A-Za-z]+", " ", f.read()).lower()
    tokens = list(text)
    vocab = Vocab(tokens)
    return [vocab[t] for t in tokens], vocab


def seq_data_iter_sequential(corpus, batch_size, num_steps, rng):
    offset = rng.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset : offset + num_tokens])
    Ys = torch.tensor(corpus[offset + 1 : offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    for i in range(0, Xs.shape[1] // num_steps * num_steps, num_steps):
        yield Xs[:, i : i + num_steps], Ys[:, i : i + num_steps]


def load_data_time_machine(batch_size, num_steps, max_tokens=6000):
    corpus, vocab = load_corpus_time_machine()
    corpus = corpus[:max_tokens]
    rng = random.Random(0)
    return (lambda: seq_data_iter_sequential(corpus, batch_size, num_steps, rng)), vocab


def grad_clipping(net, theta):
    params = [p for p in net.parameters() if p.requires_grad] if isinstance(net, nn.Module) else net.params
    norm = torch.sqrt(sum(torch.sum((p.grad**2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm
