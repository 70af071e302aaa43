"""CIFAR-10 and CIFAR-100 from the python pickled batches (cs.toronto.edu/~kriz/cifar.html)."""

import os
import pickle

import numpy as np

from .utils import download_url, extract_tar
from .vision import VisionDataset, to_pil_or_array


def _get(entry, key):
    """A field of a CIFAR pickle: Python-2 pickles read with latin1 have str keys, encoding='bytes' gives bytes."""
    if key in entry:
        return entry[key]
    return entry[key.encode("latin1")]


def _decode(names):
    return [n.decode("latin1") if isinstance(n, bytes) else n for n in names]


class _BatchUnpickler(pickle.Unpickler):
    """Reads a CIFAR batch: dicts, lists, strings, numbers and NumPy arrays; any other global is refused,
    so a crafted file cannot run code (torchvision's plain pickle.load would)."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                f"refused global {module}.{name} (a CIFAR batch holds only arrays, lists, strings and numbers)"
            )
        return super().find_class(module, name)


class CIFAR10(VisionDataset):
    base_folder = "cifar-10-batches-py"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}
    labels_key = "labels"
    # torchvision's archive and its MD5
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        files = self.train_list if train else self.test_list
        folder = os.path.join(self.root, self.base_folder)
        if download and self._missing(self.train_list + self.test_list):
            self.download()
        missing = self._missing(files)
        if missing:
            needed = ", ".join(self.train_list + self.test_list + [self.meta["filename"]])
            raise RuntimeError(
                f"{type(self).__name__}: dataset not found. Pass download=True, or put the python "
                f"batches ({needed}) in {folder}/ (missing: {', '.join(missing)})"
            )
        data, targets = [], []
        for name in files:
            entry = self._unpickle(os.path.join(folder, name))
            data.append(np.asarray(_get(entry, "data"), dtype=np.uint8))
            targets.extend(int(t) for t in _get(entry, self.labels_key))
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # HWC, as torchvision
        self.targets = targets
        self.classes = _decode(_get(self._unpickle(os.path.join(folder, self.meta["filename"])), self.meta["key"]))
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def _missing(self, files):
        folder = os.path.join(self.root, self.base_folder)
        return [f for f in files + [self.meta["filename"]] if not os.path.isfile(os.path.join(folder, f))]

    def download(self):
        """Fetch and extract torchvision's archive (MD5 checked), or RuntimeError with the URL and the folder."""
        try:
            print(f"Downloading {self.url} to {self.root}")
            archive = download_url(self.url, self.root, self.filename, self.tgz_md5)
        except (OSError, RuntimeError) as e:
            raise RuntimeError(
                f"{type(self).__name__}: could not download {self.url} "
                f"({getattr(e, 'reason', None) or e}). Download it by hand and extract it in "
                f"{self.root}/ so that {os.path.join(self.root, self.base_folder)}/ holds the batches"
            ) from None
        extract_tar(archive, self.root)

    @staticmethod
    def _unpickle(path):
        with open(path, "rb") as f:
            try:
                return _BatchUnpickler(f, encoding="latin1").load()
            except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
                raise RuntimeError(f"{path} is not a CIFAR python batch: {e}") from None

    def __getitem__(self, index):
        img, target = to_pil_or_array(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    base_folder = "cifar-100-python"
    train_list = ["train"]
    test_list = ["test"]
    meta = {"filename": "meta", "key": "fine_label_names"}
    labels_key = "fine_labels"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
