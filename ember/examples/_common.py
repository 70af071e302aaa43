"""What the example programs share: the command line, progress bars, TensorBoard logging, plots, data."""
import argparse
import gzip
import math
import os
import struct
import sys

import numpy as np


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr (what is wrong, and where help is), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# the program name in usage and error lines: `ember train NAME` sets it, a script run keeps argparse's
prog = None


def parser(description, epochs, batch_size, lr=None, root=None, root_help="data folder"):
    """The flags every example takes; `lr` and `root` (a default folder) add --lr and --root."""
    p = OneLineParser(prog=prog, description=description)
    p.add_argument("--epochs", type=positive, default=epochs, help="passes over the training data (default %(default)s)")
    p.add_argument("--batch-size", type=positive, default=batch_size, help="default %(default)s")
    if lr is not None:
        p.add_argument("--lr", type=positive_float, default=lr, help="learning rate (default %(default)s)")
    if root is not None:
        p.add_argument("--root", default=root, help=root_help)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--workers", type=non_negative, default=0, help="DataLoader worker processes")
    p.add_argument("--logdir", default=None, help="write TensorBoard event files here")
    p.add_argument("--plot", action="store_true", help="save loss/accuracy curves as PNG (matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out", help="folder for checkpoints, images and plots")
    return p


def fail(message):
    """A one-line error with the fix, instead of a traceback."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def device_or_fail(torch, name):
    if name.startswith("cuda") and not torch.cuda.is_available():
        fail("--device cuda asked for, but no GPU is usable here (install cupy for your CUDA version) — "
             "use --device cpu")
    try:
        return torch.device(name)
    except (RuntimeError, ValueError):
        fail(f"unknown --device '{name}': use cpu or cuda (cuda:N for the N-th GPU)")


def _number(text, kind, what, ok):
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive(text):
    """argparse type for counts such as --epochs, --batch-size, --limit."""
    return _number(text, int, "a positive integer", lambda v: v > 0)


def non_negative(text):
    """argparse type for --workers (0: load in the main process)."""
    return _number(text, int, "an integer >= 0", lambda v: v >= 0)


def positive_float(text):
    """argparse type for rates such as --lr."""
    return _number(text, float, "a positive number", lambda v: v > 0 and math.isfinite(v))


def non_negative_float(text):
    """argparse type for --momentum, --weight-decay."""
    return _number(text, float, "a number >= 0", lambda v: v >= 0 and math.isfinite(v))


def beta(text):
    """argparse type for Adam's --beta1, in [0, 1)."""
    return _number(text, float, "a number in [0, 1)", lambda v: 0 <= v < 1)


def progress(iterable, quiet, desc, total=None):
    """A tqdm bar per epoch, unless --quiet or stdout is not a terminal."""
    if quiet or not sys.stdout.isatty():
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=desc, total=total, leave=False)


def evaluate_accuracy(net, loader, device=None):
    """Fraction of examples whose arg-max class is the label (eval mode, no graph), as d2l's."""
    import ember
    was_training = net.training
    net.eval()
    correct = total = 0
    with ember.no_grad():
        for X, y in loader:
            if device is not None:
                X, y = X.to(device), y.to(device)
            correct += (net(X).argmax(1) == y).sum().item()
            total += y.numel()
    net.train(was_training)
    return correct / total


def fashion_mnist_loaders(args):
    """Train/test DataLoaders over Fashion-MNIST-format files under --root (the digits stand-in if missing)."""
    from ember.utils import data
    from ember.vision import datasets, transforms
    digits_as_fashion_mnist(args.root)
    train_set = datasets.FashionMNIST(args.root, train=True, transform=transforms.ToTensor())
    test_set = datasets.FashionMNIST(args.root, train=False, transform=transforms.ToTensor())
    return (data.DataLoader(train_set, args.batch_size, shuffle=True, num_workers=args.workers),
            data.DataLoader(test_set, 256, shuffle=False, num_workers=args.workers))


def train_classifier(net, train_iter, test_iter, args, history, device, prefix=""):
    """d2l's train_ch3: SGD (--lr) on cross-entropy; logs loss, train and test accuracy per epoch.

    Returns the last test accuracy."""
    import ember
    loss = ember.nn.CrossEntropyLoss()
    trainer = ember.optim.SGD(net.parameters(), lr=args.lr)
    for epoch in range(1, args.epochs + 1):
        net.train()
        loss_sum, correct, seen = 0.0, 0, 0
        for X, y in progress(train_iter, args.quiet, f"{prefix}epoch {epoch}"):
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
            loss_sum += l.item() * y.numel()
            correct += (y_hat.argmax(1) == y).sum().item()
            seen += y.numel()
        history.log(epoch, **{f"{prefix}loss": loss_sum / seen, f"{prefix}train_acc": correct / seen,
                              f"{prefix}test_acc": evaluate_accuracy(net, test_iter, device)})
    return history.rows[f"{prefix}test_acc"][-1]


class History:
    """Per-epoch metrics: printed, sent to TensorBoard with --logdir, plotted with --plot."""

    def __init__(self, args):
        self.args = args
        self.rows = {}
        self.writer = None
        if args.logdir:
            from ember.utils.tensorboard import SummaryWriter
            self.writer = SummaryWriter(args.logdir)

    def log(self, epoch, **metrics):
        for k, v in metrics.items():
            self.rows.setdefault(k, []).append(v)
            if self.writer:
                self.writer.add_scalar(k, v, epoch)
        print(f"epoch {epoch}: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()), flush=True)

    def close(self, name):
        if self.writer:
            self.writer.close()
        if self.args.plot and self.rows:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            fig, axes = plt.subplots(1, len(self.rows), figsize=(4 * len(self.rows), 3))
            for ax, (k, values) in zip(np.atleast_1d(axes), self.rows.items()):
                ax.plot(range(1, len(values) + 1), values, marker="o")
                ax.set_title(k)
                ax.set_xlabel("epoch")
            fig.tight_layout()
            os.makedirs(self.args.out, exist_ok=True)
            path = os.path.join(self.args.out, f"{name}_curves.png")
            fig.savefig(path)
            print(f"saved {path}")


# --- a Fashion-MNIST-format stand-in, so the examples run on a fresh machine without downloads ------

FASHION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte")


def write_idx(path, array):
    """IDX (the MNIST file format): big-endian magic (0x08 = uint8, ndim), dims, then raw bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def digits_as_fashion_mnist(root, test_fraction=0.2, seed=0):
    """Write scikit-learn's 8x8 digits, upscaled to 28x28, as root/FashionMNIST/raw/*-ubyte IDX files.

    When any Fashion-MNIST file (raw or .gz) is already there nothing is written: real files are never
    overwritten or mixed with the stand-in (FashionMNIST names any that are missing).
    """
    raw = os.path.join(root, "FashionMNIST", "raw")
    if any(os.path.exists(os.path.join(raw, f + ext)) for f in FASHION_FILES for ext in ("", ".gz")):
        return raw
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = digits.images / 16.0                                    # 8x8 in [0, 1]
    big = np.kron(images, np.ones((3, 3)))                           # 24x24 nearest upscale
    big = np.pad(big, ((0, 0), (2, 2), (2, 2)))                      # 28x28 with a border, like MNIST
    pixels = np.round(big * 255).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(len(labels) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    os.makedirs(raw, exist_ok=True)
    for name, arr in zip(FASHION_FILES, (pixels[train], labels[train], pixels[test], labels[test])):
        write_idx(os.path.join(raw, name), arr)
    print(f"(no Fashion-MNIST files under {root}: wrote the scikit-learn digits stand-in in the same IDX format)")
    return raw



# --- a CIFAR-10-format stand-in: ten classes of coloured shapes, in the python-pickle batch format ------

SHAPES = ("circle", "square", "triangle", "cross", "ring", "h-stripes", "v-stripes", "diamond", "checker",
          "two-dots")


def _shape_masks(label, n, rng, size=32):
    """n 32x32 masks of shape `label`, each at a random centre, size and (where it shows) orientation."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    cx = rng.uniform(11, 21, (n, 1, 1))
    cy = rng.uniform(11, 21, (n, 1, 1))
    r = rng.uniform(5, 10, (n, 1, 1))
    x, y = xx - cx, yy - cy
    name = SHAPES[label]
    if name == "circle":
        return x * x + y * y <= r * r
    if name == "square":
        return (np.abs(x) <= r * 0.8) & (np.abs(y) <= r * 0.8)
    if name == "triangle":
        return (y <= r * 0.7) & (y >= -r) & (np.abs(x) <= (y + r) * 0.6)
    if name == "cross":
        w = r * 0.3
        return ((np.abs(x) <= w) & (np.abs(y) <= r)) | ((np.abs(y) <= w) & (np.abs(x) <= r))
    if name == "ring":
        d = np.sqrt(x * x + y * y)
        return (d <= r) & (d >= r * 0.6)
    period = rng.uniform(3.5, 6, (n, 1, 1))
    if name == "h-stripes":
        return np.mod(yy + cy, period) < period / 2
    if name == "v-stripes":
        return np.mod(xx + cx, period) < period / 2
    if name == "diamond":
        return np.abs(x) + np.abs(y) <= r
    if name == "checker":
        return (np.mod(xx + cx, period * 2) < period) ^ (np.mod(yy + cy, period * 2) < period)
    # two-dots: two small discs side by side
    d = r * 0.3
    return ((x - r * 0.6) ** 2 + y * y <= d * d + 4) | ((x + r * 0.6) ** 2 + y * y <= d * d + 4)


def _shape_images(labels, rng):
    """uint8 images (N, 3, 32, 32) of the given classes: a shape in one colour on a shaded background, noise."""
    n = len(labels)
    images = np.empty((n, 3, 32, 32), np.float64)
    for label in range(len(SHAPES)):
        idx = np.flatnonzero(labels == label)
        if not len(idx):
            continue
        mask = _shape_masks(label, len(idx), rng)[:, None]
        fg = rng.uniform(0, 1, (len(idx), 3, 1, 1))
        bg = (fg + rng.uniform(0.35, 0.65, (len(idx), 3, 1, 1))) % 1.0          # a colour unlike the shape's
        shade = np.linspace(-0.15, 0.15, 32)[None, None, :, None] * rng.choice([-1, 1], (len(idx), 1, 1, 1))
        images[idx] = np.where(mask, fg, bg + shade)
    images += rng.normal(0, 0.08, images.shape)
    return np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)


def shapes_as_cifar10(root, n_train=10000, n_test=2000, seed=0):
    """Write a CIFAR-10-format stand-in under root/cifar-10-batches-py: data_batch_1..5, test_batch and
    batches.meta, pickled as the real python batches (dicts of 'data' (N, 3072) uint8, 'labels', ...).

    Nothing is written when that folder already holds any of the files: real data is never overwritten or
    mixed with the stand-in (CIFAR10 names any file that is missing).
    """
    import pickle
    folder = os.path.join(root, "cifar-10-batches-py")
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    if any(os.path.exists(os.path.join(folder, name)) for name in names):
        return folder
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)

    def write(name, obj):
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(obj, f, protocol=2)

    per_batch = n_train // 5
    for i, count in enumerate([per_batch] * 5 + [n_test]):
        labels = rng.integers(0, len(SHAPES), count)
        name = names[i]
        write(name, {"batch_label": f"{name.replace('_', ' ')} of 5 (ember's shapes stand-in)",
                     "labels": labels.tolist(), "data": _shape_images(labels, rng).reshape(count, 3072),
                     "filenames": [f"{SHAPES[y]}_{i}_{j}.png" for j, y in enumerate(labels)]})
    write("batches.meta", {"label_names": list(SHAPES), "num_cases_per_batch": per_batch, "num_vis": 3072})
    print(f"(no CIFAR-10 under {root}: wrote a stand-in in the same python-pickle batch format — {len(SHAPES)} "
          f"classes of coloured shapes, {n_train} training and {n_test} test images)")
    return folder
