"""TensorBoard logging as the tutorials do it: SummaryWriter add_scalar/add_scalars/add_histogram/add_image/
add_text/add_graph during training, then the event files read back with TensorBoard's own reader."""

# conformance: exact rtol=1e-4 atol=1e-6
import os
import shutil

import numpy as np
import torch
import torch.nn as nn
from torch.utils.tensorboard import SummaryWriter

import _data

logdir = "runs/experiment_1"
shutil.rmtree("runs", ignore_errors=True)
writer = SummaryWriter(logdir)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.from_numpy(_data.weights(*p.shape, seed=30 + i, scale=0.5)))
X = torch.from_numpy(_data.weights(32, 4, seed=2, scale=1.0))
y = X.sum(1, keepdim=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(10):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    optimizer.step()
    writer.add_scalar("Loss/train", loss.item(), step)
    writer.add_scalars("run_14h", {"xsinx": step * np.sin(step), "xcosx": step * np.cos(step)}, step)
    if step % 5 == 0:
        writer.add_histogram("fc1.weight", model[0].weight, step)
writer.add_image("weights", model[0].weight.detach().abs().unsqueeze(0), 0)
writer.add_text("notes", "conformance run", 0)
writer.add_graph(model, X)
writer.close()
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

acc = EventAccumulator(logdir)
acc.Reload()
tags = acc.Tags()
scalars = acc.Scalars("Loss/train")
print(f"scalar_count={len(scalars)} first_loss={scalars[0].value:.5f} last_loss={scalars[-1].value:.5f}")
print(f"histograms={len(tags['histograms'])} images={len(tags['images'])} graph={int(tags['graph'])}")
print(f"run_dirs={len([d for d in os.listdir(logdir) if os.path.isdir(os.path.join(logdir, d))])}")
