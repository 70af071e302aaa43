"""Checkpoint save and resume as the tutorials do: a dict with epoch, model and optimizer state_dicts and the
loss, torch.load (weights_only by default), model.train(); resuming must continue exactly as training on."""

# conformance: exact rtol=1e-3 atol=1e-5
import torch
import torch.nn as nn
import torch.optim as optim

import _data


def build():
    model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 2))
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.from_numpy(_data.weights(*p.shape, seed=20 + i, scale=0.3)))
    return model, optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)


X = torch.from_numpy(_data.weights(64, 6, seed=1, scale=1.0))
y = (X[:, 0] + X[:, 1] > 0).long()
criterion = nn.CrossEntropyLoss()


def train(model, optimizer, epochs):
    model.train()
    for _ in range(epochs):
        for i in range(0, 64, 16):
            optimizer.zero_grad()
            loss = criterion(model(X[i : i + 16]), y[i : i + 16])
            loss.backward()
            optimizer.step()
    return loss


model, optimizer = build()
loss = train(model, optimizer, 3)
torch.save(
    {"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(), "loss": loss},
    "checkpoint.tar",
)
print(f"loss_at_save={loss.item():.6f}")
train(model, optimizer, 2)
uninterrupted = model(X).detach()

model2, optimizer2 = build()
checkpoint = torch.load("checkpoint.tar")
model2.load_state_dict(checkpoint["model_state_dict"])
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
print(
    f"epoch={checkpoint['epoch']} loaded_loss={checkpoint['loss'].item():.6f} "
    f"state_steps={optimizer2.state_dict()['state'][0]['step']}"
)
train(model2, optimizer2, 2)
resumed = model2(X).detach()
print(f"resume_max_diff_dist={(resumed - uninterrupted).abs().max().item():.3e}")
print(f"output_sum={resumed.sum().item():.5f} running_mean_sum={model2[1].running_mean.sum().item():.5f}")
torch.save(model2, "whole_model.pt")
whole = torch.load("whole_model.pt", weights_only=False)
whole.eval()
model2.eval()
print(f"whole_model_same={int(torch.equal(whole(X), model2(X)))}")
