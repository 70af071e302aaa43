"""pytorch/examples siamese_network: pairs of images, twin towers with shared weights, concatenated
features through a head with BCELoss; pairs built by a Dataset that samples same/different classes."""

# conformance: trend factor=3 tol=0.2
import os
import random

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

import _data


class SiameseNetwork(nn.Module):
    def __init__(self):
        super(SiameseNetwork, self).__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.fc = nn.Sequential(nn.Linear(16 * 7 * 7 * 2, 64), nn.ReLU(inplace=True), nn.Linear(64, 1))
        self.sigmoid = nn.Sigmoid()
        self.fc.apply(self.init_weights)

    def init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    def forward(self, input1, input2):
        output = torch.cat((self.cnn(input1), self.cnn(input2)), 1)
        return self.sigmoid(self.fc(output))


class APP_MATCHER(Dataset):
    def __init__(self, images, targets, seed):
        self.images, self.targets = images, targets
        self.rng = random.Random(seed)
        self.by_class = {int(c): np.flatnonzero(targets == c) for c in np.unique(targets)}
        self.pairs = [self._pair(i) for i in range(len(images))]

    def _pair(self, index):
        same = self.rng.random() < 0.5
        cls = int(self.targets[index])
        if same:
            other = self.rng.choice(list(self.by_class[cls]))
        else:
            other_cls = self.rng.choice([c for c in self.by_class if c != cls])
            other = self.rng.choice(list(self.by_class[other_cls]))
        return index, int(other), float(same)

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        i, j, target = self.pairs[index]
        return self.images[i], self.images[j], torch.tensor(target, dtype=torch.float)


torch.manual_seed(1)
raw = _data.mnist(n_train=1000, n_test=200)
load = lambda f: _data.read_idx(os.path.join(raw, f))  # noqa: E731
train_images = torch.from_numpy(load("train-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
test_images = torch.from_numpy(load("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
train_loader = DataLoader(
    APP_MATCHER(train_images[:600], load("train-labels-idx1-ubyte.gz")[:600], 0), batch_size=32, shuffle=True
)
test_loader = DataLoader(APP_MATCHER(test_images, load("t10k-labels-idx1-ubyte.gz"), 1), batch_size=100)
model = SiameseNetwork()
optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
criterion = nn.BCELoss()
for epoch in range(1, 4):
    model.train()
    total = 0.0
    for images_1, images_2, targets in train_loader:
        optimizer.zero_grad()
        outputs = model(images_1, images_2).squeeze()
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    scheduler.step()
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for images_1, images_2, targets in test_loader:
            outputs = model(images_1, images_2).squeeze()
            test_loss += criterion(outputs, targets).sum().item()
            pred = torch.where(outputs > 0.5, 1, 0)
            correct += pred.eq(targets.view_as(pred)).sum().item()
    print(
        f"epoch {epoch} train_loss={total / len(train_loader):.4f} test_loss={test_loss / len(test_loader):.4f} "
        f"accuracy={correct / len(test_loader.dataset):.3f}"
    )
