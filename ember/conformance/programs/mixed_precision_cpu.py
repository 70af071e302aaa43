"""Mixed precision on the CPU: torch.autocast('cpu', dtype=torch.bfloat16) around the forward pass (matmuls
in bfloat16, losses in float32), GradScaler('cpu') steps, and the older torch.cpu.amp spelling."""

# conformance: trend factor=2 tol=0.1
import warnings

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
X = torch.randn(256, 16)
y = X[:, :4].argmax(1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scaler = torch.amp.GradScaler("cpu")
for epoch in range(5):
    for i in range(0, 256, 32):
        optimizer.zero_grad()
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
            output = model(X[i : i + 32])
            loss = nn.functional.cross_entropy(output, y[i : i + 32])
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(
        f"epoch {epoch} train_loss={loss.item():.4f} output_is_bf16={int(output.dtype == torch.bfloat16)} "
        f"loss_is_fp32={int(loss.dtype == torch.float32)}"
    )
with torch.no_grad():
    acc = (model(X).argmax(1) == y).float().mean().item()
print(f"accuracy={acc:.3f} autocast_off_dtype_fp32={int(model(X).dtype == torch.float32)}")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    with torch.cpu.amp.autocast():
        legacy = model(X)
print(f"legacy_autocast_bf16={int(legacy.dtype == torch.bfloat16)} scale={scaler.get_scale():.1f}")
