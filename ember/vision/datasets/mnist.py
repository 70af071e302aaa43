"""MNIST, FashionMNIST and KMNIST from IDX files under root/<ClassName>/raw/ (raw or .gz)."""
import os

import numpy as np

from .utils import read_idx
from .vision import VisionDataset, to_pil_or_array


class MNIST(VisionDataset):
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    training_files = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    test_files = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        images_file, labels_file = self.training_files if train else self.test_files
        images = self._read(images_file, ndim=3, download=download)
        labels = self._read(labels_file, ndim=1, download=download)
        if len(images) != len(labels):
            raise RuntimeError(f"{type(self).__name__}: {images_file} holds {len(images)} images but "
                               f"{labels_file} holds {len(labels)} labels")
        from ... import from_numpy
        self.data = from_numpy(np.ascontiguousarray(images, dtype=np.uint8))
        self.targets = from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def _read(self, name, ndim, download):
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                array = read_idx(path)
                if array.ndim != ndim:
                    raise RuntimeError(f"{type(self).__name__}: {path} has {array.ndim} dimensions, expected {ndim}")
                return array
        action = "cannot download (no network)" if download else "dataset not found"
        files = ", ".join(self.training_files + self.test_files)
        raise RuntimeError(f"{type(self).__name__}: {action}. Put the IDX files ({files}; raw or .gz) "
                           f"in {self.raw_folder}/ (missing: {name})")

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
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class KMNIST(MNIST):
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
