"""torchvision's ImageFolder over a folder of PNG files, transforms.Compose (RandomHorizontalFlip, ToTensor,
Normalize), a DataLoader with two worker processes, a small CNN, and torchvision.io.read_image."""

# conformance: trend factor=3 tol=0.25 needs=torchvision
import os

import torch
import torch.nn as nn
import torchvision
from torchvision import datasets, transforms
from torchvision.io import read_image

import _data

if __name__ == "__main__":
    torch.manual_seed(0)
    root = _data.image_folder()
    tf = transforms.Compose(
        [
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]
    )
    train_set = datasets.ImageFolder(os.path.join(root, "train"), transform=tf)
    val_set = datasets.ImageFolder(os.path.join(root, "val"), transform=transforms.Compose(tf.transforms[1:]))
    print(f"classes={len(train_set.classes)} train_images={len(train_set)} val_images={len(val_set)}")
    first = read_image(train_set.samples[0][0])
    print(f"read_image_channels={first.shape[0]} read_image_is_uint8={int(first.dtype == torch.uint8)}")
    loader = torch.utils.data.DataLoader(train_set, batch_size=12, shuffle=True, num_workers=2)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 3),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(6):
        total = 0.0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
        with torch.no_grad():
            images, labels = next(iter(torch.utils.data.DataLoader(val_set, batch_size=len(val_set))))
            acc = (model(images).argmax(1) == labels).float().mean().item()
        print(f"epoch {epoch} train_loss={total / len(loader):.4f} val_acc={acc:.3f}")
    print(f"torchvision_version_known={int(bool(torchvision.__name__))}")
