"""d2l 5.x: an MLP from scratch (ReLU with torch.max), dropout from scratch with a random mask, weight decay
with per-parameter-group settings, and the concise nn.Sequential versions with init_weights via apply."""

# conformance: trend factor=2 tol=0.15
import torch
from torch import nn

import _d2l as d2l

torch.manual_seed(0)
train_iter, test_iter = d2l.load_data_fashion_mnist(64)
num_inputs, num_outputs, num_hiddens = 784, 10, 64
W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens, requires_grad=True) * 0.01)
b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs, requires_grad=True) * 0.01)
b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
params = [W1, b1, W2, b2]


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def net(X):
    X = X.reshape((-1, num_inputs))
    H = relu(X @ W1 + b1)
    return H @ W2 + b2


loss = nn.CrossEntropyLoss(reduction="none")
print("scratch mlp")
d2l.train_ch3(net, train_iter, test_iter, loss, 3, torch.optim.SGD(params, lr=0.1))


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
print(f"dropout0_sum={dropout_layer(X, 0.0).sum().item()} dropout1_sum={dropout_layer(X, 1.0).sum().item()}")


class Net(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens1, is_training=True):
        super(Net, self).__init__()
        self.num_inputs = num_inputs
        self.training = is_training
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_outputs)
        self.relu = nn.ReLU()

    def forward(self, X):
        H1 = self.relu(self.lin1(X.reshape((-1, self.num_inputs))))
        if self.training:
            H1 = dropout_layer(H1, 0.2)
        return self.lin2(H1)


print("scratch dropout")
dnet = Net(num_inputs, num_outputs, 64)
d2l.train_ch3(dnet, train_iter, test_iter, loss, 3, torch.optim.SGD(dnet.parameters(), lr=0.2))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


wd_net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
wd_net.apply(init_weights)
trainer = torch.optim.SGD(
    [
        {"params": wd_net[1].weight, "weight_decay": 1e-3},
        {"params": wd_net[1].bias},
        {"params": wd_net[4].parameters()},
    ],
    lr=0.2,
)
print("concise weight decay")
d2l.train_ch3(wd_net, train_iter, test_iter, loss, 3, trainer)
print(f"l2_norm_dist={wd_net[1].weight.norm().item():.3f}")
