"""Training a classifier on CIFAR-10, as PyTorch's "Deep Learning with PyTorch: A 60 Minute Blitz" tutorial.

    python examples/lenet_cifar10.py --root ./data                      # 2 epochs, batch 4, as the tutorial
    python examples/lenet_cifar10.py --root ./data --limit 2000 --epochs 1   # a smoke run

Reads the CIFAR-10 python batches from ROOT/cifar-10-batches-py/ (download cifar-10-python.tar.gz from
https://www.cs.toronto.edu/~kriz/cifar.html and extract it under ROOT, or pass --download). On real
CIFAR-10 the tutorial's net reaches about 54% test accuracy after its 2 epochs (PyTorch's figure; the
first training steps match torch's to float32 precision, see tests/examples); an epoch is 12,500 steps of
batch 4. Without the files it writes a stand-in in the same python-pickle
batch format (ten classes of coloured shapes, 10,000 training and 2,000 test images) and says so.
Saves the trained weights with torch.save(net.state_dict(), PATH) and reloads them for the test.
"""
import os

import ember as torch
from ember.utils import data
from ember.vision import datasets, transforms

from ember.examples._common import (History, device_or_fail, fail, non_negative_float, parser, positive, progress,
                                    shapes_as_cifar10)

def make_net(T=torch):
    """The tutorial's Net class, built on T (ember or torch)."""
    nn, F = T.nn, T.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = T.flatten(x, 1)  # flatten all dimensions except batch
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    return Net


Net = make_net(torch)

transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])


def load_cifar10(root, train, limit=None, download=False):
    """CIFAR10(root) with the tutorial's transform (the shapes stand-in when root has no CIFAR-10 files and
    no download was asked for), or a one-line error naming what is missing."""
    if not download:
        shapes_as_cifar10(root)
    try:
        dataset = datasets.CIFAR10(root=root, train=train, download=download, transform=transform)
    except RuntimeError as e:
        fail(f"{e} (example flags: --root DIR, --download)")
    classes = dataset.classes
    if limit is not None:
        dataset = data.Subset(dataset, range(min(limit, len(dataset))))
    return dataset, classes


def main(argv=None):
    p = parser(__doc__.splitlines()[0], epochs=2, batch_size=4, lr=0.001, root="data",
               root_help="folder holding cifar-10-batches-py/")
    p.add_argument("--momentum", type=non_negative_float, default=0.9)
    p.add_argument("--limit", type=positive, default=None,
                   help="use only the first N training and N test images (smoke runs)")
    p.add_argument("--print-every", type=positive, default=2000, help="mini-batches between loss prints")
    p.add_argument("--download", action="store_true", help="download the real CIFAR-10 into --root if missing")
    args = p.parse_args(argv)
    device = device_or_fail(torch, args.device)
    torch.manual_seed(args.seed)

    trainset, classes = load_cifar10(args.root, train=True, limit=args.limit, download=args.download)
    trainloader = data.DataLoader(trainset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers)
    testset, _ = load_cifar10(args.root, train=False, limit=args.limit)
    testloader = data.DataLoader(testset, batch_size=args.batch_size, shuffle=False, num_workers=args.workers)

    net = Net().to(device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    history = History(args)
    for epoch in range(args.epochs):  # loop over the dataset multiple times
        running_loss, epoch_loss = 0.0, 0.0
        for i, (inputs, labels) in enumerate(progress(trainloader, args.quiet, f"epoch {epoch + 1}")):
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            epoch_loss += loss.item()
            if i % args.print_every == args.print_every - 1:
                print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / args.print_every:.3f}")
                running_loss = 0.0
        history.log(epoch + 1, loss=epoch_loss / len(trainloader))
    print("Finished Training")

    os.makedirs(args.out, exist_ok=True)
    PATH = os.path.join(args.out, "cifar_net.pth")
    torch.save(net.state_dict(), PATH)
    print(f"saved {PATH}")

    net = Net().to(device)
    net.load_state_dict(torch.load(PATH, weights_only=True))

    correct_pred = {classname: 0 for classname in classes}
    total_pred = {classname: 0 for classname in classes}
    with torch.no_grad():  # no gradients needed for testing
        for images, labels in testloader:
            images, labels = images.to(device), labels.to(device)
            _, predictions = torch.max(net(images), 1)
            for label, prediction in zip(labels, predictions):
                if label == prediction:
                    correct_pred[classes[label]] += 1
                total_pred[classes[label]] += 1
    for classname, correct_count in correct_pred.items():
        if total_pred[classname]:
            print(f"Accuracy for class: {classname:5s} is {100 * correct_count / total_pred[classname]:.1f} %")
    accuracy = sum(correct_pred.values()) / sum(total_pred.values())
    print(f"Accuracy of the network on the {sum(total_pred.values())} test images: {100 * accuracy:.1f} %")
    history.close("lenet_cifar10")
    return {"loss": history.rows["loss"][-1], "test_acc": accuracy,
            "class_acc": {c: correct_pred[c] / total_pred[c] for c in classes if total_pred[c]}}


if __name__ == "__main__":
    main()
