"""Small data sets in the real file formats the public programs read, made with NumPy (same bytes every time).

The conformance programs import this sibling module (as a program imports its own helpers); it never
imports torch. Files go to $CONFORMANCE_DATA (the runner sets it) or ./data.
"""

import gzip
import os
import struct

import numpy as np


def root(*parts):
    path = os.path.join(os.environ.get("CONFORMANCE_DATA", "data"), *parts)
    os.makedirs(path, exist_ok=True)
    return path


def _write_idx(path, array):
    """The MNIST idx format: magic (0x08 = ubyte, number of dims), big-endian sizes, then the bytes; gzipped."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header + array.astype(np.uint8).tobytes())


def digit_images(n, size=28, classes=10, seed=0):
    """Images of `classes` kinds: each class is a fixed random stroke pattern, drawn shifted and with noise."""
    rng = np.random.default_rng(seed)
    templates = (rng.random((classes, size, size)) < 0.12).astype(np.float64)
    for _ in range(2):  # thicken the strokes a little, as handwriting
        templates = np.clip(templates + np.roll(templates, 1, 1) * 0.5 + np.roll(templates, 1, 2) * 0.5, 0, 1)
    labels = rng.integers(0, classes, n)
    images = np.empty((n, size, size))
    for i, y in enumerate(labels):
        shifted = np.roll(templates[y], tuple(rng.integers(-2, 3, 2)), axis=(0, 1))
        images[i] = np.clip(shifted * rng.uniform(0.6, 1.0) + rng.normal(0, 0.15, (size, size)), 0, 1)
    return (images * 255).astype(np.uint8), labels.astype(np.uint8)


def mnist(name="MNIST", n_train=1000, n_test=200, size=28, seed=0):
    """<root>/<name>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz, as torchvision downloads them."""
    raw = root(name, "raw")
    files = {
        "train-images-idx3-ubyte.gz": None,
        "train-labels-idx1-ubyte.gz": None,
        "t10k-images-idx3-ubyte.gz": None,
        "t10k-labels-idx1-ubyte.gz": None,
    }
    if not all(os.path.exists(os.path.join(raw, f)) for f in files):
        images, labels = digit_images(n_train + n_test, size, seed=seed)
        _write_idx(os.path.join(raw, "train-images-idx3-ubyte.gz"), images[:n_train])
        _write_idx(os.path.join(raw, "train-labels-idx1-ubyte.gz"), labels[:n_train])
        _write_idx(os.path.join(raw, "t10k-images-idx3-ubyte.gz"), images[n_train:])
        _write_idx(os.path.join(raw, "t10k-labels-idx1-ubyte.gz"), labels[n_train:])
    return raw


def read_idx(path):
    """Read an idx(.gz) file into a NumPy array (what torchvision's MNIST does with the raw files)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


_WORDS = (
    "the a one some every that this my your our".split(),
    "cat dog bird fish horse mouse child teacher farmer king".split(),
    "sees likes finds chases helps follows watches feeds meets knows".split(),
    "quickly slowly happily quietly often rarely today again".split(),
)


def sentences(n, seed=0):
    """Sentences of a tiny grammar (determiner noun verb determiner noun [adverb]): learnable structure."""
    rng = np.random.default_rng(seed)
    det, noun, verb, adv = _WORDS
    out = []
    for _ in range(n):
        words = [
            det[rng.integers(10)],
            noun[rng.integers(10)],
            verb[rng.integers(10)],
            det[rng.integers(10)],
            noun[rng.integers(10)],
        ]
        if rng.random() < 0.5:
            words.append(adv[rng.integers(8)])
        out.append(" ".join(words))
    return out


def text_corpus(name="corpus", n_train=600, n_valid=80, n_test=80, seed=0):
    """<root>/<name>/{train,valid,test}.txt, one sentence a line (the word language model's layout)."""
    path = root(name)
    lines = sentences(n_train + n_valid + n_test, seed)
    parts = {
        "train.txt": lines[:n_train],
        "valid.txt": lines[n_train : n_train + n_valid],
        "test.txt": lines[n_train + n_valid :],
    }
    for fname, part in parts.items():
        if not os.path.exists(os.path.join(path, fname)):
            with open(os.path.join(path, fname), "w", encoding="utf-8") as f:
                f.write("\n".join(part) + "\n")
    return path


def names_by_language(n_per_language=60, seed=0):
    """<root>/names/<Language>.txt, one name a line: each language favours its own letters and endings."""
    path = root("names")
    rng = np.random.default_rng(seed)
    languages = {
        "Italian": ("aeiolrnt", "o"),
        "German": ("bcdhkmnrst", "er"),
        "Japanese": ("aikmnostu", "a"),
        "Greek": ("aeiklopsu", "os"),
        "Polish": ("cjkmnswyz", "ski"),
    }
    for language, (letters, ending) in languages.items():
        fname = os.path.join(path, f"{language}.txt")
        if os.path.exists(fname):
            continue
        names = []
        for _ in range(n_per_language):
            stem = "".join(rng.choice(list(letters), rng.integers(3, 6)))
            names.append(stem.capitalize() + ending)
        with open(fname, "w", encoding="utf-8") as f:
            f.write("\n".join(names) + "\n")
    return path


def translation_pairs(n=400, seed=0):
    """<root>/translation/eng-xyz.txt: tab-separated pairs; the 'foreign' side maps each word and reverses
    the order, so attention has to look back across the sentence."""
    path = root("translation")
    fname = os.path.join(path, "eng-xyz.txt")
    if not os.path.exists(fname):
        rng = np.random.default_rng(seed)
        vocab = [w for group in _WORDS for w in group]
        lines = []
        for _ in range(n):
            words = [vocab[i] for i in rng.integers(0, len(vocab), rng.integers(3, 7))]
            foreign = ["x" + w[::-1] for w in reversed(words)]
            lines.append(" ".join(words) + "\t" + " ".join(foreign))
        with open(fname, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return fname


def citation_graph(n_nodes=120, n_features=40, n_classes=3, seed=0):
    """<root>/cora_like/cora.{content,cites}: '<id> <binary features> <label>' lines and '<cited> <citing>'
    edge lines, the Cora files' layout; nodes link mostly within their class."""
    path = root("cora_like")
    content, cites = os.path.join(path, "cora.content"), os.path.join(path, "cora.cites")
    if not os.path.exists(cites):
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, n_classes, n_nodes)
        centers = rng.random((n_classes, n_features)) < 0.2
        with open(content, "w") as f:
            for i in range(n_nodes):
                features = (centers[labels[i]] ^ (rng.random(n_features) < 0.1)).astype(int)
                f.write(f"{1000 + i} {' '.join(map(str, features))} class_{labels[i]}\n")
        with open(cites, "w") as f:
            for i in range(n_nodes):
                for _ in range(3):
                    same = np.flatnonzero(labels == labels[i]) if rng.random() < 0.85 else np.arange(n_nodes)
                    j = int(rng.choice(same))
                    if j != i:
                        f.write(f"{1000 + j} {1000 + i}\n")
    return content, cites


def image_folder(name="shapes", classes=("circle", "square", "cross"), n_per_class=20, size=32, seed=0):
    """<root>/<name>/{train,val}/<class>/<i>.png: RGB images of simple shapes (ImageFolder's layout)."""
    from PIL import Image

    path = root(name)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    for split, n in (("train", n_per_class), ("val", max(4, n_per_class // 4))):
        for k, cls in enumerate(classes):
            folder = os.path.join(path, split, cls)
            if os.path.isdir(folder) and len(os.listdir(folder)) == n:
                continue
            os.makedirs(folder, exist_ok=True)
            for i in range(n):
                cy, cx, r = rng.integers(10, size - 10, 2).tolist() + [int(rng.integers(5, 9))]
                if k == 0:
                    mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
                elif k == 1:
                    mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
                else:
                    mask = (abs(yy - cy) <= 1) & (abs(xx - cx) <= r) | (abs(xx - cx) <= 1) & (abs(yy - cy) <= r)
                img = rng.integers(0, 60, (size, size, 3))
                img[mask] = rng.integers(150, 256, 3)
                Image.fromarray(img.astype(np.uint8)).save(os.path.join(folder, f"{i}.png"))
    return path


def sine_waves(n=40, length=200, period=20, seed=0):
    """<root>/sine/traindata.npy: sine waves with random phase (the time-sequence example's data)."""
    path = os.path.join(root("sine"), "traindata.npy")
    if not os.path.exists(path):
        rng = np.random.default_rng(seed)
        x = np.arange(length)[None, :] + rng.integers(-4 * period, 4 * period, (n, 1))
        np.save(path, np.sin(x / period).astype(np.float64))
    return path


def csv_table(n=300, seed=0):
    """<root>/houses.csv: a header and numeric columns (area, rooms, age, price) with noise."""
    path = os.path.join(root("tabular"), "houses.csv")
    if not os.path.exists(path):
        rng = np.random.default_rng(seed)
        area = rng.uniform(40, 200, n)
        rooms = rng.integers(1, 6, n)
        age = rng.uniform(0, 50, n)
        price = 2.0 * area + 15 * rooms - 0.8 * age + rng.normal(0, 10, n) + 50
        with open(path, "w") as f:
            f.write("area,rooms,age,price\n")
            for row in zip(area, rooms, age, price):
                f.write(",".join(f"{v:.3f}" for v in row) + "\n")
    return path


def weights(*shape, seed=0, scale=0.1):
    """Deterministic float32 values for programs that copy the same weights into both libraries."""
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
