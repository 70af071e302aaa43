"""d2l 7.6: LeNet with sigmoid activations and average pooling, Xavier init, trained with train_ch6."""

# conformance: trend factor=2 tol=0.2
import torch
from torch import nn

import _d2l as d2l

torch.manual_seed(0)
net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2),
    nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5),
    nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120),
    nn.Sigmoid(),
    nn.Linear(120, 84),
    nn.Sigmoid(),
    nn.Linear(84, 10),
)
X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, f"output_numel={X.numel()}")
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=32)
d2l.train_ch6(net, train_iter, test_iter, num_epochs=4, lr=0.9)
