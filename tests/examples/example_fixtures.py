"""Small data sets in the real on-disk formats, written for the example tests."""
import os
import pickle

import numpy as np

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_cifar10(root, per_batch=20, n_test=40, seed=0):
    """root/cifar-10-batches-py/ as the python batches: data_batch_1..5, test_batch, batches.meta.

    Images carry a learnable signal: each class has its own mean colour, plus noise.
    """
    rng = np.random.default_rng(seed)
    colours = rng.integers(40, 216, size=(10, 3))
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)

    def batch(n, label):
        labels = rng.integers(0, 10, size=n)
        pixels = colours[labels][:, :, None] + rng.normal(0, 30, size=(n, 3, 1024))
        data = np.clip(pixels, 0, 255).astype(np.uint8).reshape(n, 3072)
        return {b"batch_label": label.encode(), b"labels": labels.tolist(), b"data": data,
                b"filenames": [f"img_{i}.png".encode() for i in range(n)]}

    names = [(f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test_batch", n_test)]
    for name, n in names:
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(batch(n, name), f, protocol=2)
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump({b"label_names": [c.encode() for c in CIFAR_CLASSES], b"num_vis": 3072,
                     b"num_cases_per_batch": per_batch}, f, protocol=2)
    return root
