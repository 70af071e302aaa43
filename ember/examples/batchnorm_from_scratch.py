"""Batch normalization written by hand, as in d2l (8.5), in a LeNet; then the same LeNet with nn.BatchNorm2d.

    python examples/batchnorm_from_scratch.py          # 5 epochs each, batch 64, SGD lr 1.0, data under ./data

Data: Fashion-MNIST-format IDX files under --root (the scikit-learn digits stand-in is written there when
they are missing). The hand-written layer keeps moving_mean/moving_var as buffers, updated in d2l's
convention moving = momentum * moving + (1 - momentum) * batch with momentum = 0.9 (torch's momentum 0.1).
Prints both test accuracies; on the stand-in both reach about 92-94%, within a few points of each other.
"""
import ember as torch

from ember.examples._common import History, device_or_fail, fashion_mnist_loaders, parser, train_classifier


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum, training, T=torch):
    if not training:
        # in prediction mode, use the moving averages
        X_hat = (X - moving_mean) / T.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            # fully connected layer: statistics over the feature dimension
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            # 2-D convolution: statistics per channel, over (batch, height, width)
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / T.sqrt(var + eps)
        # update the moving averages (biased variance, as d2l)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta  # scale and shift
    return Y, moving_mean.data, moving_var.data


def make_batchnorm(T=torch):
    """d2l's BatchNorm module class, built on T (ember or torch)."""

    class BatchNorm(T.nn.Module):
        # num_features: outputs of a fully connected layer or output channels of a convolution;
        # num_dims: 2 for a fully connected layer, 4 for a convolution
        def __init__(self, num_features, num_dims):
            super().__init__()
            shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
            self.gamma = T.nn.Parameter(T.ones(shape))
            self.beta = T.nn.Parameter(T.zeros(shape))
            self.register_buffer("moving_mean", T.zeros(shape))
            self.register_buffer("moving_var", T.ones(shape))

        def forward(self, X):
            Y, self.moving_mean, self.moving_var = batch_norm(
                X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.9,
                training=self.training, T=T)
            return Y

    return BatchNorm


BatchNorm = make_batchnorm(torch)


def lenet(T=torch, from_scratch=True):
    """d2l's LeNet with batch normalization after every conv/linear layer but the last."""
    nn, BN = T.nn, make_batchnorm(T)

    def bn(n, dims):
        return BN(n, num_dims=dims) if from_scratch else (nn.BatchNorm2d(n) if dims == 4 else nn.BatchNorm1d(n))

    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), bn(6, 4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), bn(16, 4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), bn(120, 2), nn.Sigmoid(),
        nn.Linear(120, 84), bn(84, 2), nn.Sigmoid(),
        nn.Linear(84, 10))


def main(argv=None):
    args = parser(__doc__.splitlines()[0], epochs=5, batch_size=64, lr=1.0, root="data",
                  root_help="folder holding FashionMNIST/raw/ (the digits stand-in is written there if empty)"
                  ).parse_args(argv)
    device = device_or_fail(torch, args.device)
    torch.manual_seed(args.seed)
    train_iter, test_iter = fashion_mnist_loaders(args)

    history = History(args)
    scratch = lenet(torch, from_scratch=True)
    scratch_acc = train_classifier(scratch.to(device), train_iter, test_iter, args, history, device, "scratch_")
    builtin_acc = train_classifier(lenet(torch, from_scratch=False).to(device), train_iter, test_iter, args,
                                   history, device, "builtin_")
    print(f"test accuracy: hand-written BatchNorm {scratch_acc:.4f}, nn.BatchNorm2d/1d {builtin_acc:.4f}")
    print(f"first layer's learned scale and shift: {scratch[1].gamma.detach().reshape((-1,))}, "
          f"{scratch[1].beta.detach().reshape((-1,))}")
    history.close("batchnorm_from_scratch")
    return {"scratch_test_acc": scratch_acc, "builtin_test_acc": builtin_acc}


if __name__ == "__main__":
    main()
