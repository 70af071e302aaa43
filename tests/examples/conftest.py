import os
import sys

import pytest

from ember.examples._common import digits_as_fashion_mnist

sys.path.insert(0, os.path.dirname(__file__))
from example_fixtures import write_cifar10  # noqa: E402


@pytest.fixture(scope="session")
def fashion_root(tmp_path_factory):
    """A folder with the digits stand-in in Fashion-MNIST's IDX layout (FashionMNIST/raw/)."""
    root = str(tmp_path_factory.mktemp("fashion"))
    digits_as_fashion_mnist(root)
    return root


@pytest.fixture(scope="session")
def cifar_root(tmp_path_factory):
    """A tiny CIFAR-10 in the real python-batch format: 5 x 40 training images, 40 test images."""
    return write_cifar10(str(tmp_path_factory.mktemp("cifar")), per_batch=40, n_test=40)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch, fashion_root):
    """Run in an empty folder whose ./data is the stand-in (examples that default to ./data find it there)."""
    os.symlink(fashion_root, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path
