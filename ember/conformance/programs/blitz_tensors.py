"""The 60-minute blitz: tensors, the NumPy bridge, autograd, a LeNet forward/backward and a manual update."""

# conformance: exact rtol=1e-4 atol=1e-5
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

import _data

# tensors
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
x_ones = torch.ones_like(x_data)
x_rand = torch.rand_like(x_data, dtype=torch.float)
shape = (
    2,
    3,
)
print(f"ones_sum={torch.ones(shape).sum().item()} zeros_sum={torch.zeros(shape).sum().item()}")
print(f"rand_shape={x_rand.shape[0] * 10 + x_rand.shape[1]} dtype_is_float={int(x_rand.dtype == torch.float32)}")
tensor = torch.ones(4, 4)
tensor[:, 1] = 0
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(f"cat_cols={t1.shape[1]} first_row_sum={tensor[0].sum().item()} last_col={tensor[..., -1].sum().item()}")
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
z1 = tensor * tensor
agg = tensor.sum()
print(
    f"matmul_sum={y1.sum().item()} same={int(torch.equal(y1, y2) and torch.equal(y2, y3))} "
    f"mul_sum={z1.sum().item()} agg_item={agg.item()}"
)
tensor.add_(5)
t = torch.ones(5)
n = t.numpy()
t.add_(1)
print(f"numpy_bridge={n.sum()}")
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"from_numpy_bridge={t.sum().item()}")

# autograd
x = torch.ones(5)
y = torch.zeros(3)
w = torch.tensor(_data.weights(5, 3, seed=1), requires_grad=True)
b = torch.tensor(_data.weights(3, seed=2), requires_grad=True)
z = torch.matmul(x, w) + b
loss = F.binary_cross_entropy_with_logits(z, y)
loss.backward()
print(f"bce_loss={loss.item():.6f} w_grad_sum={w.grad.sum().item():.6f} b_grad_sum={b.grad.sum().item():.6f}")
z = torch.matmul(x, w) + b
print(f"requires_grad={int(z.requires_grad)}")
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(f"no_grad_requires_grad={int(z.requires_grad)} detached={int(z.detach().requires_grad)}")
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
first = inp.grad.sum().item()
out.backward(torch.ones_like(out), retain_graph=True)
second = inp.grad.sum().item()
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"grad_first={first} grad_accumulated={second} grad_after_zero={inp.grad.sum().item()}")


# a LeNet, its parameters, one forward/backward and a manual and an optim.SGD update
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        return self.fc3(f6)


net = Net()
with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.from_numpy(_data.weights(*p.shape, seed=10 + i)))
params = list(net.parameters())
print(f"num_params={len(params)} conv1_weight_size={params[0].numel()}")
inp = torch.from_numpy(_data.weights(1, 1, 32, 32, seed=3, scale=1.0))
out = net(inp)
print(f"out_sum={out.sum().item():.6f}")
net.zero_grad()
out.backward(torch.from_numpy(_data.weights(1, 10, seed=4, scale=1.0)))
target = torch.from_numpy(_data.weights(1, 10, seed=5, scale=1.0))
criterion = nn.MSELoss()
output = net(inp)
loss = criterion(output, target)
print(f"mse_loss={loss.item():.6f}")
net.zero_grad()
loss.backward()
print(f"conv1_bias_grad_sum={net.conv1.bias.grad.sum().item():.6f}")
learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)
optimizer = optim.SGD(net.parameters(), lr=0.01)
for step in range(3):
    optimizer.zero_grad()
    output = net(inp)
    loss = criterion(output, target)
    loss.backward()
    optimizer.step()
    print(f"step {step} sgd_loss={loss.item():.6f}")
