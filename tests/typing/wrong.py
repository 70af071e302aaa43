"""Lines mypy must reject (tests/typing/test_mypy.py): each line marked `# E` is one error, no other line is.
Never run: the checks are static."""

import ember as torch
from ember import nn
from ember.optim import SGD

x: torch.Tensor = torch.ones(2, 3)
x.no_such_method()  # E
torch.no_such_function(x)  # E
layer = nn.Linear("4", 3)  # E
model = nn.Sequential(layer)
for p in model.parameters():
    p.grad = 3  # E
SGD(model.parameters(), lr=0.1).zero_grad(set_to_none="yes")  # E
label: str = x.item()  # E
size: int = x.shape  # E
model.train().load_state_dict([1, 2])  # E
