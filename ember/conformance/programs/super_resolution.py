"""pytorch/examples super_resolution (ESPCN): sub-pixel convolution with PixelShuffle, orthogonal init with
calculate_gain, MSE loss, PSNR on a held-out set; low-resolution inputs made by average pooling."""

# conformance: trend factor=2 tol=1.0
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.init as init
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

import _data


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(8, upscale_factor**2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        return self.pixel_shuffle(self.conv4(x))

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv4.weight)


torch.manual_seed(123)
raw = _data.mnist(n_train=1000, n_test=200)
hr = torch.from_numpy(_data.read_idx(os.path.join(raw, "train-images-idx3-ubyte.gz"))[:400].astype(np.float32) / 255)
hr = hr.unsqueeze(1)
lr_images = nn.functional.avg_pool2d(hr, 2)
train_set = TensorDataset(lr_images[:320], hr[:320])
test_set = TensorDataset(lr_images[320:], hr[320:])
training_data_loader = DataLoader(dataset=train_set, batch_size=16, shuffle=True)
testing_data_loader = DataLoader(dataset=test_set, batch_size=40)
model = Net(upscale_factor=2)
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=0.003)
for epoch in range(1, 5):
    epoch_loss = 0
    for input, target in training_data_loader:
        optimizer.zero_grad()
        loss = criterion(model(input), target)
        epoch_loss += loss.item()
        loss.backward()
        optimizer.step()
    avg_psnr = 0
    with torch.no_grad():
        for input, target in testing_data_loader:
            mse = criterion(model(input), target)
            avg_psnr += 10 * math.log10(1 / mse.item())
    print(
        f"===> Epoch {epoch}: train_loss={epoch_loss / len(training_data_loader):.5f} "
        f"avg_psnr={avg_psnr / len(testing_data_loader):.3f}"
    )
torch.save(model, "model_epoch.pth")
loaded = torch.load("model_epoch.pth", weights_only=False)
print(f"reloaded_same={int(torch.equal(loaded.conv1.weight, model.conv1.weight))}")
