"""A typical typed training program, written as for torch: mypy must accept it (tests/typing/test_mypy.py).
It also runs (the test runs it), so every line here is valid ember."""

from __future__ import annotations

import ember as torch
import ember.nn.functional as F
from ember import Tensor, nn
from ember.optim import Adam
from ember.optim.lr_scheduler import StepLR
from ember.utils.data import DataLoader, Dataset, TensorDataset, random_split


class MLP(nn.Module):
    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Dropout(0.1), nn.Linear(width, 3))
        self.norm = nn.LayerNorm(3)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.body(x)).relu() + x.mean() * 0


class Squares(Dataset[tuple[Tensor, Tensor]]):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        x = torch.full((4,), float(index))
        return x, (x**2).sum(dim=0, keepdim=True).long() % 3


def train(epochs: int = 2) -> float:
    torch.manual_seed(0)
    x = torch.randn(32, 4)
    y = torch.randint(0, 3, (32,))
    dataset = TensorDataset(x, y)
    train_set, val_set = random_split(dataset, [24, 8])
    loader = DataLoader(train_set, batch_size=8, shuffle=True)
    model = MLP()
    optimizer = Adam(model.parameters(), lr=1e-2, weight_decay=0.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    total = 0.0
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            logits: Tensor = model(xb)
            loss = loss_fn(logits, yb) + 0.0 * F.mse_loss(logits, torch.zeros_like(logits))
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
    model.eval()
    with torch.no_grad():
        xs = torch.cat([x[:2], x[2:4]], dim=0)
        pred = model(xs).argmax(dim=1)
        assert pred.shape == (4,) and pred.dtype == torch.int64
        stacked = torch.stack([xs, xs]).reshape(2, -1).to(torch.float64)
        assert stacked.size(0) == 2 and stacked.dim() == 2 and stacked.device.type == "cpu"
    state = model.state_dict()
    model.load_state_dict(state)
    weights: list[float] = [p.detach().abs().max().item() for p in model.parameters()]
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert len(weights) == len(grads) == 6
    assert len(val_set) == 8 and len(Squares()) == 8
    big = torch.matmul(torch.ones(2, 3), torch.eye(3)).numpy().tolist()
    return total + float(big[0][0]) * 0


if __name__ == "__main__":
    print(train())
