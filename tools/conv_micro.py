"""Forward+backward time of conv layers at LeNet and DCGAN sizes (batch 64), ember vs torch, 2 threads.

Run: PYTHONPATH=. python tools/conv_micro.py   (torch is the yardstick only; ember never imports it;
EMBER_NO_NUMBA=1 times ember's NumPy path instead of its compiled kernels)
"""

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402

import ember  # noqa: E402

CASES = [  # name, functional, input shape, weight shape, kwargs
    ("LeNet conv1 64x3x32x32 -> 6 k5", "conv2d", (64, 3, 32, 32), (6, 3, 5, 5), {}),
    ("LeNet conv2 64x6x14x14 -> 16 k5", "conv2d", (64, 6, 14, 14), (16, 6, 5, 5), {}),
    (
        "DCGAN convT 64x128x8x8 -> 64 k4 s2 p1",
        "conv_transpose2d",
        (64, 128, 8, 8),
        (128, 64, 4, 4),
        dict(stride=2, padding=1),
    ),
    ("DCGAN conv 64x64x16x16 -> 128 k4 s2 p1", "conv2d", (64, 64, 16, 16), (128, 64, 4, 4), dict(stride=2, padding=1)),
]


def best_of(fn, repeat=15):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def step(T, x, w, b, op, kwargs):
    x.grad = w.grad = b.grad = None
    y = getattr(T.nn.functional, op)(x, w, b, **kwargs)
    y.backward(T.ones_like(y))


def main():
    try:
        import torch

        torch.set_num_threads(2)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    print(f"{'case':42s} {'ember ms':>9s} {'torch ms':>9s} {'ratio':>6s}")
    for name, op, xs, ws, kwargs in CASES:
        arrays = [rng.standard_normal(s).astype(np.float32) for s in (xs, ws, (ws[1] if "transpose" in op else ws[0],))]
        e = [ember.tensor(a, requires_grad=True) for a in arrays]
        te = best_of(lambda e=e, op=op, kwargs=kwargs: step(ember, *e, op, kwargs))
        tt = float("nan")
        if torch is not None:
            t = [torch.tensor(a, requires_grad=True) for a in arrays]
            tt = best_of(lambda t=t, op=op, kwargs=kwargs: step(torch, *t, op, kwargs))
        print(f"{name:42s} {te:9.2f} {tt:9.2f} {te / tt:6.2f}")


if __name__ == "__main__":
    main()
