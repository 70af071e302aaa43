"""Batch normalization written by hand, as in d2l (8.5), in LeNet; then the same net with nn.BatchNorm2d/1d.

    python examples/batchnorm_from_scratch.py               # 2 epochs each, batch 64, SGD lr 0.9, data under ./data
    python examples/batchnorm_from_scratch.py --limit 256   # a smoke run on the first 256 training images

`batch_norm` normalises with the batch's mean and (biased) variance while gradients are being recorded and
with the moving averages otherwise (d2l tells the two modes apart by torch.is_grad_enabled(), so evaluation
must run under torch.no_grad()); the moving averages follow d2l's
moving = (1 - momentum) * moving + momentum * batch, momentum 0.1 — the same convention as nn.BatchNorm2d's
momentum=0.1, except that nn.BatchNorm keeps the unbiased variance as running_var.
Without real Fashion-MNIST files under --root it writes the scikit-learn digits stand-in in the same IDX
format. On it the defaults reach 0.894 test accuracy with the hand-written BatchNorm and 0.891 with
nn.BatchNorm (same initial weights and batch order; the training losses agree exactly), about 4 s on 2 cores.
d2l trains 10 epochs at batch 256 and lr 1.0 on the 60000 real images; the stand-in has only 1438, so the
batch is smaller: at batch 256 two epochs are 12 steps, too few for the moving averages (momentum 0.1) to
settle, and prediction-mode accuracy stays near chance.
"""
import ember as torch
from ember import nn
from ember.utils import data
from ember.vision import datasets, transforms

from ember.examples._common import (History, device_or_fail, digits_as_fashion_mnist, evaluate_accuracy, parser,
                                    positive, progress)


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    """d2l's batch_norm: returns Y and the updated moving mean and variance (detached)."""
    if not torch.is_grad_enabled():
        # prediction mode: the moving averages stand in for the batch statistics
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            # after a fully connected layer: statistics per feature
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            # after a convolution: statistics per channel (axis 1), kept 4-D so they broadcast over X
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta  # scale and shift
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    """d2l's BatchNorm layer. num_dims: 2 after a fully connected layer, 4 after a convolution."""

    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        # buffers, not parameters: they move with .to(device) and are saved in the state_dict
        self.register_buffer("moving_mean", torch.zeros(shape))
        self.register_buffer("moving_var", torch.ones(shape))

    def forward(self, X):
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y


def build_model(T=torch, scratch=False):
    """d2l's LeNet with batch normalization after every conv and hidden linear layer.

    scratch=True uses the hand-written BatchNorm above (an ember module, so T must be ember);
    otherwise T.nn.BatchNorm2d / BatchNorm1d, with T ember or torch.
    """
    if scratch:
        if T is not torch:
            raise ValueError("build_model(scratch=True) builds the hand-written ember BatchNorm; pass T=ember")
        norm2d, norm1d = (lambda n: BatchNorm(n, num_dims=4)), (lambda n: BatchNorm(n, num_dims=2))
    else:
        norm2d, norm1d = T.nn.BatchNorm2d, T.nn.BatchNorm1d
    nn_ = T.nn
    return nn_.Sequential(
        nn_.Conv2d(1, 6, kernel_size=5), norm2d(6), nn_.Sigmoid(), nn_.AvgPool2d(kernel_size=2, stride=2),
        nn_.Conv2d(6, 16, kernel_size=5), norm2d(16), nn_.Sigmoid(), nn_.AvgPool2d(kernel_size=2, stride=2),
        nn_.Flatten(),
        nn_.Linear(16 * 4 * 4, 120), norm1d(120), nn_.Sigmoid(),
        nn_.Linear(120, 84), norm1d(84), nn_.Sigmoid(),
        nn_.Linear(84, 10))


def train(net, train_iter, test_iter, args, device, name):
    """d2l's train_ch6 loop: Xavier-uniform init, SGD, cross-entropy; returns the final metrics."""
    def init_weights(m):
        if type(m) in (nn.Linear, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)

    net.apply(init_weights)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr)
    loss = nn.CrossEntropyLoss()
    history = History(args)
    for epoch in range(1, args.epochs + 1):
        net.train()
        loss_sum, correct, seen = 0.0, 0, 0
        for X, y in progress(train_iter, args.quiet, f"{name} epoch {epoch}"):
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            optimizer.zero_grad()
            l.backward()
            optimizer.step()
            loss_sum += l.item() * y.numel()
            correct += (y_hat.argmax(1) == y).sum().item()
            seen += y.numel()
        # evaluate_accuracy runs under no_grad, which puts the hand-written BatchNorm in prediction mode
        history.log(epoch, loss=loss_sum / seen, train_acc=correct / seen,
                    test_acc=evaluate_accuracy(net, test_iter, device))
    history.close(name)
    return {k: values[-1] for k, values in history.rows.items()}


def main(argv=None):
    p = parser(__doc__.splitlines()[0], epochs=2, batch_size=64, lr=0.9, root="data",
               root_help="folder holding FashionMNIST/raw/ (the digits stand-in is written there if empty)")
    p.add_argument("--limit", type=positive, default=None, help="train on the first N training images only")
    args = p.parse_args(argv)
    device = device_or_fail(torch, args.device)
    digits_as_fashion_mnist(args.root)
    train_set = datasets.FashionMNIST(args.root, train=True, transform=transforms.ToTensor())
    test_set = datasets.FashionMNIST(args.root, train=False, transform=transforms.ToTensor())
    if args.limit is not None:
        train_set = data.Subset(train_set, range(min(args.limit, len(train_set))))
    test_iter = data.DataLoader(test_set, 256, shuffle=False, num_workers=args.workers)

    results = {}
    for name, scratch in (("scratch", True), ("builtin", False)):
        torch.manual_seed(args.seed)   # both nets see the same initial weights' distribution and batch order
        train_iter = data.DataLoader(train_set, args.batch_size, shuffle=True, num_workers=args.workers)
        print(f"LeNet with {'hand-written BatchNorm' if scratch else 'nn.BatchNorm2d/1d'}:", flush=True)
        metrics = train(build_model(torch, scratch), train_iter, test_iter, args, device, f"batchnorm_{name}")
        results.update({f"{name}_{k}": v for k, v in metrics.items()})
    print(f"test accuracy: hand-written BatchNorm {results['scratch_test_acc']:.4f}, "
          f"nn.BatchNorm {results['builtin_test_acc']:.4f}")
    return results


if __name__ == "__main__":
    main()
