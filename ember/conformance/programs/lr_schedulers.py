"""Learning-rate schedulers as training programs use them: each one's lr per epoch on a tiny model."""

# conformance: exact rtol=1e-6 atol=1e-9
import torch
import torch.nn as nn
from torch.optim import lr_scheduler


def make():
    model = nn.Linear(2, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def run(name, build, epochs=8, metric=None):
    model, optimizer = make()
    scheduler = build(optimizer)
    lrs = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        model(torch.ones(1, 2)).sum().backward()
        optimizer.step()
        if metric is not None:
            scheduler.step(metric[epoch])
        else:
            scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    print(name + " " + " ".join(f"{name}_lr={lr:.8f}" for lr in lrs))


run("step", lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5))
run("multistep", lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.1))
run("exponential", lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9))
run("cosine", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.001))
run("lambda", lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda e: 0.95**e))
run("onecycle", lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=8))
run("cyclic", lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2))
run(
    "warmup",
    lambda o: lr_scheduler.SequentialLR(
        o,
        [lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3), lr_scheduler.CosineAnnealingLR(o, T_max=5)],
        milestones=[3],
    ),
)
run(
    "plateau",
    lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=1),
    metric=[1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8],
)
run("warm_restarts", lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2))
model, optimizer = make()
scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
for _ in range(3):
    optimizer.step()
    scheduler.step()
state = scheduler.state_dict()
model, optimizer = make()
resumed = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
resumed.load_state_dict(state)
print(f"resumed_last_epoch={resumed.last_epoch} resumed_lr={resumed.get_last_lr()[0]:.6f}")
