"""pytorch/examples regression: fit a polynomial with one Linear layer and hand-written gradient steps."""

# conformance: exact rtol=1e-3 atol=1e-5
import numpy as np
import torch
import torch.nn.functional as F

import _data

POLY_DEGREE = 4
W_target = torch.from_numpy(_data.weights(POLY_DEGREE, 1, seed=1, scale=5.0))
b_target = torch.from_numpy(_data.weights(1, seed=2, scale=5.0))
rng = np.random.default_rng(0)


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x**i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    result = "y = "
    for i, w in enumerate(W):
        result += "{:+.2f} x^{} ".format(w, i + 1)
    result += "{:+.2f}".format(b[0])
    return result


def get_batch(batch_size=32):
    random = torch.from_numpy(rng.standard_normal(batch_size).astype(np.float32))
    x = make_features(random)
    y = f(x)
    return x, y


fc = torch.nn.Linear(W_target.size(0), 1)
with torch.no_grad():
    fc.weight.copy_(torch.from_numpy(_data.weights(1, POLY_DEGREE, seed=3)))
    fc.bias.zero_()
for batch_idx in range(1, 301):
    batch_x, batch_y = get_batch()
    fc.zero_grad()
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()
    output.backward()
    for param in fc.parameters():
        param.data.add_(-0.01 * param.grad)
    if batch_idx % 100 == 0:
        print(f"batch {batch_idx} loss={loss:.6f}")
print("Learned function:\t" + poly_desc(fc.weight.view(-1), fc.bias))
print("Actual function:\t" + poly_desc(W_target.view(-1), b_target))
print(f"weight_error={(fc.weight.view(-1) - W_target.view(-1)).abs().max().item():.5f}")
