"""Data-parallel training patterns without a process group: nn.DataParallel on the CPU (model.module,
'module.'-prefixed state_dict keys stripped on load), gradient accumulation over micro-batches, and
averaging the gradients of model replicas by hand (what all_reduce does), each equal to plain training."""

# conformance: exact rtol=1e-4 atol=1e-6
import copy

import torch
import torch.nn as nn

import _data


def build():
    model = nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Linear(12, 3))
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.from_numpy(_data.weights(*p.shape, seed=40 + i, scale=0.4)))
    return model


X = torch.from_numpy(_data.weights(48, 5, seed=3, scale=1.0))
y = torch.from_numpy((_data.weights(48, seed=4, scale=1.0) > 0).astype("int64") + (X[:, 0] > 0).long().numpy())
criterion = nn.CrossEntropyLoss()

plain = build()
opt = torch.optim.SGD(plain.parameters(), lr=0.1)
for _ in range(5):
    opt.zero_grad()
    criterion(plain(X), y).backward()
    opt.step()
print(f"plain_loss={criterion(plain(X), y).item():.6f}")

dp = nn.DataParallel(build())
opt = torch.optim.SGD(dp.parameters(), lr=0.1)
for _ in range(5):
    opt.zero_grad()
    criterion(dp(X), y).backward()
    opt.step()
state = dp.state_dict()
print(f"dp_loss={criterion(dp(X), y).item():.6f} prefixed_keys={sum(k.startswith('module.') for k in state)}")
restored = build()
restored.load_state_dict({k.replace("module.", "", 1): v for k, v in state.items()})
print(
    f"restored_loss={criterion(restored(X), y).item():.6f} module_is_sequential="
    f"{int(isinstance(dp.module, nn.Sequential))}"
)

accum = build()
opt = torch.optim.SGD(accum.parameters(), lr=0.1)
for _ in range(5):
    opt.zero_grad()
    for i in range(0, 48, 12):
        (criterion(accum(X[i : i + 12]), y[i : i + 12]) / 4).backward()
    opt.step()
print(f"accumulated_loss={criterion(accum(X), y).item():.6f}")

master = build()
replicas = [copy.deepcopy(master) for _ in range(4)]
opt = torch.optim.SGD(master.parameters(), lr=0.1)
for _ in range(5):
    for r, replica in enumerate(replicas):
        replica.load_state_dict(master.state_dict())
        replica.zero_grad()
        criterion(replica(X[r * 12 : (r + 1) * 12]), y[r * 12 : (r + 1) * 12]).backward()
    opt.zero_grad()
    for p, *copies in zip(master.parameters(), *(rep.parameters() for rep in replicas)):
        p.grad = torch.stack([c.grad for c in copies]).mean(0)
    opt.step()
print(f"replica_avg_loss={criterion(master(X), y).item():.6f}")
