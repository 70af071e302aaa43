"""ember.vision.datasets on small files in the real on-disk formats (CIFAR pickles, IDX raw and gzip, class folders)."""

import functools
import gzip
import hashlib
import http.server
import os
import pickle
import re
import socket
import tarfile
import threading

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms
from ember.vision.datasets.utils import read_idx, write_idx

Image = pytest.importorskip("PIL.Image")

PER_BATCH = 3


def _cifar_rows(n, seed):
    return np.random.RandomState(seed).randint(0, 256, size=(n, 3072)).astype(np.uint8)


def _dump(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)  # the real batches are Python 2 cPickles


@pytest.fixture
def cifar10_root(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i in range(1, 6):
        # batches 1-2 with bytes keys (as encoding='bytes' shows Python 2 str keys), the rest with str keys
        key = (lambda k: k.encode()) if i <= 2 else (lambda k: k)
        _dump(
            folder / f"data_batch_{i}",
            {
                key("batch_label"): f"training batch {i} of 5",
                key("data"): _cifar_rows(PER_BATCH, i),
                key("labels"): [(i + j) % 10 for j in range(PER_BATCH)],
                key("filenames"): ["x.png"] * 3,
            },
        )
    _dump(folder / "test_batch", {"data": _cifar_rows(2, 0), "labels": [9, 4]})
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    _dump(folder / "batches.meta", {b"label_names": [n.encode() for n in names], b"num_vis": 3072})
    return tmp_path


def test_cifar10_reads_batches_in_torchvision_layout(cifar10_root):
    train = datasets.CIFAR10(str(cifar10_root), train=True)
    assert len(train) == 5 * PER_BATCH
    assert train.data.shape == (15, 32, 32, 3) and train.data.dtype == np.uint8
    rows = _cifar_rows(PER_BATCH, 1)
    # row layout: 1024 red values, then green, then blue, each 32x32 row-major
    assert train.data[1, 4, 7, 0] == rows[1, 4 * 32 + 7]
    assert train.data[1, 4, 7, 2] == rows[1, 2048 + 4 * 32 + 7]
    assert train.targets == [(i + j) % 10 for i in range(1, 6) for j in range(PER_BATCH)]
    assert train.classes[0] == "airplane" and train.class_to_idx["truck"] == 9

    img, target = train[1]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), train.data[1])
    assert target == 2

    test = datasets.CIFAR10(str(cifar10_root), train=False)
    assert len(test) == 2 and test.targets == [9, 4]
    assert "Split: Test" in repr(test)


def test_cifar10_through_dataloader_with_workers(cifar10_root):
    ds = datasets.CIFAR10(
        str(cifar10_root),
        transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]),
    )
    batches = list(DataLoader(ds, batch_size=4, shuffle=False, num_workers=2))
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3, 32, 32)] * 3 + [(3, 3, 32, 32)]
    x, y = batches[0]
    assert x.dtype == ember.float32 and y.dtype == ember.int64
    assert y.tolist() == ds.targets[:4]
    expected = ds.data[:4].transpose(0, 3, 1, 2).astype(np.float32) / 255 * 2 - 1
    np.testing.assert_allclose(x.numpy(), expected, atol=1e-6)


def test_cifar100_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    _dump(folder / "train", {"data": _cifar_rows(4, 3), "fine_labels": [0, 99, 5, 7], "coarse_labels": [0, 1, 2, 3]})
    _dump(folder / "test", {"data": _cifar_rows(1, 4), "fine_labels": [42], "coarse_labels": [3]})
    _dump(folder / "meta", {"fine_label_names": [f"c{i}" for i in range(100)], "coarse_label_names": ["a"] * 20})
    ds = datasets.CIFAR100(str(tmp_path), target_transform=lambda t: t + 1000)
    assert ds.targets == [0, 99, 5, 7] and ds[1][1] == 1099 and len(ds.classes) == 100
    assert datasets.CIFAR100(str(tmp_path), train=False).targets == [42]


def test_cifar_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(
        RuntimeError,
        match=r"CIFAR10: dataset not found\. Pass download=True, or put the python "
        r"batches \(data_batch_1.*batches\.meta\) in .*cifar-10-batches-py/",
    ):
        datasets.CIFAR10(str(tmp_path))
    with pytest.raises(RuntimeError, match=r"CIFAR100: dataset not found.*cifar-100-python/"):
        datasets.CIFAR100(str(tmp_path))


def test_cifar_download_failure_names_the_url_and_the_folder(tmp_path, monkeypatch):
    url = f"http://127.0.0.1:{_closed_port()}/cifar-10-python.tar.gz"
    monkeypatch.setattr(datasets.CIFAR10, "url", url)
    with pytest.raises(
        RuntimeError,
        match=rf"CIFAR10: could not download {re.escape(url)} .*extract it in "
        rf"{re.escape(str(tmp_path))}/",
    ):
        datasets.CIFAR10(str(tmp_path), download=True)
    assert os.listdir(tmp_path) == []  # no partial file left behind


def test_idx_header_is_big_endian_magic(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "img", images)
    raw = (tmp_path / "img").read_bytes()
    assert raw[:16] == (2051).to_bytes(4, "big") + b"\x00\x00\x00\x02" + b"\x00\x00\x00\x03" + b"\x00\x00\x00\x04"
    assert raw[16:] == images.tobytes()


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path, dtype):
    arr = (np.random.RandomState(0).randn(3, 5) * 50).astype(dtype)
    for name in ("a.idx", "a.idx.gz"):
        write_idx(tmp_path / name, arr)
        back = read_idx(tmp_path / name)
        assert back.dtype == np.dtype(dtype) and back.dtype.isnative
        np.testing.assert_array_equal(back, arr)
    assert read_idx(tmp_path / "a.idx.gz").shape == (3, 5)
    with gzip.open(tmp_path / "a.idx.gz") as f:
        assert f.read() == (tmp_path / "a.idx").read_bytes()


def test_idx_errors(tmp_path):
    with pytest.raises(TypeError, match="write_idx: dtype int64"):
        write_idx(tmp_path / "x", np.zeros(3, np.int64))
    (tmp_path / "bad").write_bytes((2051).to_bytes(4, "big") + (5).to_bytes(4, "big") * 3 + b"\x00")
    with pytest.raises(ValueError, match="read_idx: .* holds 17 bytes"):
        read_idx(tmp_path / "bad")


def _write_mnist(root, cls, n_train=5, n_test=3, gz=False):
    raw = os.path.join(root, cls, "raw")
    rng = np.random.RandomState(0)
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(
            os.path.join(raw, f"{prefix}-images-idx3-ubyte{suffix}"), rng.randint(0, 256, (n, 28, 28)).astype(np.uint8)
        )
        write_idx(os.path.join(raw, f"{prefix}-labels-idx1-ubyte{suffix}"), (np.arange(n) * 3 % 10).astype(np.uint8))


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files(tmp_path, gz):
    _write_mnist(tmp_path, "MNIST", gz=gz)
    ds = datasets.MNIST(str(tmp_path))
    assert len(ds) == 5 and ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (5, 28, 28)
    assert ds.targets.dtype == ember.int64 and ds.targets.tolist() == [0, 3, 6, 9, 2]
    img, target = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28) and target == 6
    np.testing.assert_array_equal(np.asarray(img), ds.data[2].numpy())
    assert len(datasets.MNIST(str(tmp_path), train=False)) == 3
    assert ds.class_to_idx["3 - three"] == 3


def test_mnist_family_through_dataloader_with_workers(tmp_path):
    _write_mnist(tmp_path, "FashionMNIST", n_train=10)
    ds = datasets.FashionMNIST(
        str(tmp_path), transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    )
    assert ds.classes[9] == "Ankle boot"
    x, y = next(iter(DataLoader(ds, batch_size=8, num_workers=2)))
    assert tuple(x.shape) == (8, 1, 28, 28) and x.dtype == ember.float32
    assert y.dtype == ember.int64 and y.tolist() == [0, 3, 6, 9, 2, 5, 8, 1]
    expected = (ds.data[:8].numpy()[:, None].astype(np.float32) / 255 - np.float32(0.1307)) / np.float32(0.3081)
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_kmnist_missing_files(tmp_path, monkeypatch):
    _write_mnist(tmp_path, "MNIST")  # the folder is named after the class, so KMNIST does not find MNIST's files
    with pytest.raises(RuntimeError, match=r"KMNIST: dataset not found. Pass download=True.*KMNIST.raw/"):
        datasets.KMNIST(str(tmp_path))
    mirror = f"http://127.0.0.1:{_closed_port()}/kmnist/"
    monkeypatch.setattr(datasets.KMNIST, "mirrors", [mirror])
    with pytest.raises(
        RuntimeError,
        match=rf"KMNIST: could not download train-images-idx3-ubyte.gz: tried "
        rf"{re.escape(mirror)}train-images-idx3-ubyte.gz .*KMNIST.raw/",
    ):
        datasets.KMNIST(str(tmp_path), download=True)


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_folder(tmp_path):
    """A loopback HTTP server over a folder: (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_mnist_download_tries_mirrors_in_order_and_checks_md5(tmp_path, http_folder, monkeypatch):
    served, base = http_folder
    resources = []
    rng = np.random.default_rng(0)
    for name, array in (
        ("train-images-idx3-ubyte.gz", rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)),
        ("train-labels-idx1-ubyte.gz", np.arange(5, dtype=np.uint8)),
        ("t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (2, 28, 28), dtype=np.uint8)),
        ("t10k-labels-idx1-ubyte.gz", np.array([3, 4], dtype=np.uint8)),
    ):
        write_idx(served / name, array)
        resources.append((name, hashlib.md5((served / name).read_bytes()).hexdigest()))
    dead = f"http://127.0.0.1:{_closed_port()}/"
    monkeypatch.setattr(datasets.MNIST, "mirrors", [dead, base])
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    root = tmp_path / "root"
    ds = datasets.MNIST(str(root), train=True, download=True)
    assert len(ds) == 5 and ds.targets.tolist() == [0, 1, 2, 3, 4]
    assert sorted(os.listdir(root / "MNIST" / "raw")) == sorted(name for name, _ in resources)
    assert datasets.MNIST(str(root), train=False).targets.tolist() == [3, 4]
    # a file whose checksum differs is refused, and nothing is kept
    monkeypatch.setattr(datasets.MNIST, "mirrors", [base])
    monkeypatch.setattr(datasets.MNIST, "resources", [(resources[0][0], "0" * 32)] + resources[1:])
    with pytest.raises(RuntimeError, match=r"MD5 is [0-9a-f]{32}, expected 0{32}.*Download it by hand"):
        datasets.MNIST(str(tmp_path / "other"), download=True)
    assert not (tmp_path / "other" / "MNIST" / "raw" / resources[0][0]).exists()


def test_cifar_download_extracts_the_archive(tmp_path, http_folder, monkeypatch):
    served, base = http_folder
    batches = tmp_path / "build" / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    for i in range(1, 6):
        _dump(batches / f"data_batch_{i}", {"data": _cifar_rows(2, i), "labels": [i, i]})
    _dump(batches / "test_batch", {"data": _cifar_rows(1, 9), "labels": [9]})
    _dump(batches / "batches.meta", {"label_names": [f"c{i}" for i in range(10)]})
    archive = served / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(batches, arcname="cifar-10-batches-py")
    monkeypatch.setattr(datasets.CIFAR10, "url", base + "cifar-10-python.tar.gz")
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", hashlib.md5(archive.read_bytes()).hexdigest())
    root = tmp_path / "root"
    ds = datasets.CIFAR10(str(root), train=True, download=True)
    assert len(ds) == 10 and ds.targets == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert datasets.CIFAR10(str(root), train=False).targets == [9]


def test_cifar_batch_with_a_code_global_is_refused(tmp_path):
    import pickle

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]:
        with open(folder / name, "wb") as f:
            pickle.dump({"data": Boom(), "labels": [0], "label_names": ["a"]}, f, protocol=2)
    with pytest.raises(
        RuntimeError,
        match=r"data_batch_1 is not a CIFAR python batch: refused global "
        r"(posix|os)\.system",
    ):
        datasets.CIFAR10(str(tmp_path))
    assert not (tmp_path / "pwned").exists()


def test_image_folder(tmp_path):
    colours = {"cat": (255, 0, 0), "dog": (0, 0, 255)}
    for cls, colour in colours.items():
        (tmp_path / cls / "sub").mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (6, 4), colour).save(tmp_path / cls / f"{i}.png")
        Image.new("L", (6, 4), 7).save(tmp_path / cls / "sub" / "deep.PNG")
        (tmp_path / cls / "notes.txt").write_text("not an image")
    ds = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples] == [
        "cat/0.png",
        "cat/1.png",
        "cat/sub/deep.PNG",
        "dog/0.png",
        "dog/1.png",
        "dog/sub/deep.PNG",
    ]
    assert ds.targets == [0, 0, 0, 1, 1, 1] and ds.imgs == ds.samples
    x, y = ds[3]
    assert tuple(x.shape) == (3, 4, 6) and y == 1
    np.testing.assert_allclose(x.numpy()[:, 0, 0], [0, 0, 1])
    assert ds[2][0].shape[0] == 3  # the default loader converts to RGB

    xs, ys = next(iter(DataLoader(ds, batch_size=6, num_workers=2)))
    assert tuple(xs.shape) == (6, 3, 4, 6) and ys.tolist() == ds.targets

    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        datasets.ImageFolder(str(tmp_path))
    assert len(datasets.ImageFolder(str(tmp_path), allow_empty=True)) == 6


def test_dataset_folder_with_custom_loader(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        (tmp_path / cls / "x.npy").write_bytes(b"")
    ds = datasets.DatasetFolder(str(tmp_path), loader=lambda p: os.path.basename(p), extensions=(".npy",))
    assert [ds[i] for i in range(len(ds))] == [("x.npy", 0), ("x.npy", 1)]


def test_fake_data_is_deterministic_per_index():
    ds = datasets.FakeData(size=4, image_size=(3, 8, 8), num_classes=5, transform=transforms.ToTensor())
    (a, ta), (b, tb) = ds[1], ds[1]
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert ta == tb and 0 <= ta < 5 and tuple(a.shape) == (3, 8, 8)
    with pytest.raises(IndexError):
        ds[4]


def test_dataset_repr(cifar10_root):
    ds = datasets.CIFAR10(str(cifar10_root), transform=transforms.Compose([transforms.ToTensor()]))
    # torchvision indents only the first line of the transforms' repr
    assert repr(ds) == (
        f"Dataset CIFAR10\n    Number of datapoints: 15\n    Root location: {cifar10_root}\n"
        f"    Split: Train\n    StandardTransform\nTransform: Compose(\n"
        f"               ToTensor()\n           )"
    )


def test_without_pillow_items_are_arrays_that_to_tensor_accepts(tmp_path, monkeypatch, cifar10_root):
    import sys

    _write_mnist(tmp_path, "MNIST")
    monkeypatch.setitem(sys.modules, "PIL", None)  # `from PIL import Image` now raises ImportError
    ds = datasets.MNIST(str(tmp_path), transform=transforms.ToTensor())
    x, _ = ds[1]
    assert tuple(x.shape) == (1, 28, 28)
    np.testing.assert_allclose(x.numpy()[0], ds.data[1].numpy() / np.float32(255))
    img, _ = datasets.CIFAR10(str(cifar10_root))[0]
    assert isinstance(img, np.ndarray) and img.shape == (32, 32, 3)
