"""MNIST, FashionMNIST and KMNIST from IDX files under root/<ClassName>/raw/ (raw or .gz)."""

import os

import numpy as np

from .utils import download_from_mirrors, read_idx
from .vision import VisionDataset, to_pil_or_array


class MNIST(VisionDataset):
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]
    training_files = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    test_files = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    # torchvision's mirrors and MD5s of the .gz files
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        images_file, labels_file = self.training_files if train else self.test_files
        images = self._read(images_file, ndim=3)
        labels = self._read(labels_file, ndim=1)
        if len(images) != len(labels):
            raise RuntimeError(
                f"{type(self).__name__}: {images_file} holds {len(images)} images but "
                f"{labels_file} holds {len(labels)} labels"
            )
        from ... import from_numpy

        self.data = from_numpy(np.ascontiguousarray(images, dtype=np.uint8))
        self.targets = from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def _exists(self, name):
        return any(os.path.isfile(os.path.join(self.raw_folder, name + ext)) for ext in ("", ".gz"))

    def download(self):
        """Fetch the IDX .gz files that are missing from torchvision's mirrors, checking their MD5s."""
        for filename, md5 in self.resources:
            if not self._exists(filename[: -len(".gz")]):
                try:
                    download_from_mirrors(self.mirrors, filename, self.raw_folder, md5)
                except RuntimeError as e:
                    raise RuntimeError(f"{type(self).__name__}: {e}") from None

    def _read(self, name, ndim):
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                array = read_idx(path)
                if array.ndim != ndim:
                    raise RuntimeError(f"{type(self).__name__}: {path} has {array.ndim} dimensions, expected {ndim}")
                return array
        files = ", ".join(self.training_files + self.test_files)
        raise RuntimeError(
            f"{type(self).__name__}: dataset not found. Pass download=True, or put the IDX files "
            f"({files}; raw or .gz) in {self.raw_folder}/ (missing: {name})"
        )

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        img = to_pil_or_array(img.numpy(), mode="L")
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]


class KMNIST(MNIST):
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
