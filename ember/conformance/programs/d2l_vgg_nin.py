"""d2l 8.2/8.3: VGG blocks from a conv_arch list and NiN blocks with 1x1 convolutions and global pooling,
each trained briefly on 32x32 inputs (resized with interpolate)."""

# conformance: trend factor=2 tol=0.25
import torch
from torch import nn

import _d2l as d2l


def vgg_block(num_convs, in_channels, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(conv_arch):
    conv_blks = []
    in_channels = 1
    for num_convs, out_channels in conv_arch:
        conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
        in_channels = out_channels
    return nn.Sequential(
        *conv_blks, nn.Flatten(), nn.Linear(out_channels * 4 * 4, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10)
    )


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
    )


torch.manual_seed(0)
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=32, resize=32, n_train=400, n_test=100)
conv_arch = ((1, 8), (1, 16), (2, 16))
net = vgg(conv_arch)
X = torch.randn(size=(1, 1, 32, 32))
for blk in net:
    X = blk(X)
    print(blk.__class__.__name__, f"vgg_output_numel={X.numel()}")
d2l.train_ch6(net, train_iter, test_iter, num_epochs=3, lr=0.05)
net = nn.Sequential(
    nin_block(1, 16, kernel_size=5, strides=2, padding=2),
    nn.MaxPool2d(3, stride=2),
    nin_block(16, 32, kernel_size=3, strides=1, padding=1),
    nn.MaxPool2d(3, stride=2),
    nn.Dropout(0.5),
    nin_block(32, 10, kernel_size=3, strides=1, padding=1),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten(),
)
d2l.train_ch6(net, train_iter, test_iter, num_epochs=3, lr=0.1)
