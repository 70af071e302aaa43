"""Softmax regression on Fashion-MNIST-format images, as in d2l (3.7): Flatten + Linear(784, 10), SGD lr 0.1.

    python examples/softmax_regression.py                 # 10 epochs, batch 256, data under ./data
    python examples/softmax_regression.py --root ~/data   # real Fashion-MNIST IDX files in ~/data/FashionMNIST/raw/

Without the real files it writes a stand-in in the same IDX format (scikit-learn's 8x8 digits upscaled
to 28x28, 1438 train / 359 test images). On the stand-in the defaults reach about 95% test accuracy;
d2l reports about 83% on real Fashion-MNIST.
"""
import ember as torch

from ember.examples._common import History, device_or_fail, fashion_mnist_loaders, parser, train_classifier


def build_model(T=torch):
    """Flatten + Linear(784, 10) with d2l's N(0, 0.01) weights; T is ember or torch."""
    net = T.nn.Sequential(T.nn.Flatten(), T.nn.Linear(784, 10))

    def init_weights(m):
        if type(m) == T.nn.Linear:
            T.nn.init.normal_(m.weight, std=0.01)

    net.apply(init_weights)
    return net


def main(argv=None):
    args = parser(__doc__.splitlines()[0], epochs=10, batch_size=256, lr=0.1, root="data",
                  root_help="folder holding FashionMNIST/raw/ (the digits stand-in is written there if empty)"
                  ).parse_args(argv)
    device = device_or_fail(torch, args.device)
    torch.manual_seed(args.seed)
    train_iter, test_iter = fashion_mnist_loaders(args)
    net = build_model(torch).to(device)
    history = History(args)
    train_classifier(net, train_iter, test_iter, args, history, device)
    history.close("softmax_regression")
    return {name: values[-1] for name, values in history.rows.items()}


if __name__ == "__main__":
    main()
