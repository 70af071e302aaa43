"""d2l 8.6/8.7: residual blocks with an optional 1x1 shortcut and resnet_block stages; dense blocks that
concatenate their inputs, with transition blocks."""

# conformance: trend factor=2 tol=0.25
import torch
from torch import nn
from torch.nn import functional as F

import _d2l as d2l


class Residual(nn.Module):
    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def conv_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(), nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1)
    )


class DenseBlock(nn.Module):
    def __init__(self, num_convs, input_channels, num_channels):
        super(DenseBlock, self).__init__()
        self.net = nn.Sequential(
            *[conv_block(num_channels * i + input_channels, num_channels) for i in range(num_convs)]
        )

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels),
        nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2),
    )


torch.manual_seed(0)
blk = Residual(3, 6, use_1x1conv=True, strides=2)
print(f"residual_out_numel={blk(torch.rand(4, 3, 6, 6)).numel()}")
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=32, n_train=400, n_test=100)
b1 = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, stride=1, padding=1),
    nn.BatchNorm2d(16),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
)
net = nn.Sequential(
    b1,
    nn.Sequential(*resnet_block(16, 16, 1, first_block=True)),
    nn.Sequential(*resnet_block(16, 32, 1)),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten(),
    nn.Linear(32, 10),
)
d2l.train_ch6(net, train_iter, test_iter, num_epochs=3, lr=0.05)
print(f"dense_channels={DenseBlock(2, 3, 10)(torch.randn(4, 3, 8, 8)).shape[1]}")
net = nn.Sequential(
    b1,
    DenseBlock(2, 16, 8),
    transition_block(32, 16),
    DenseBlock(2, 16, 8),
    nn.BatchNorm2d(32),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten(),
    nn.Linear(32, 10),
)
d2l.train_ch6(net, train_iter, test_iter, num_epochs=3, lr=0.05)
