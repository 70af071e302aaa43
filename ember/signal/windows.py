"""torch.signal.windows: the window functions, as SciPy's (sym=True: symmetric, for filter design; sym=False:
periodic, for spectral analysis). Computed in float64 and cast to the dtype asked for."""

import math

import numpy as np

from .. import _dtype
from .._formats import check_layout

__all__ = [
    "bartlett",
    "blackman",
    "cosine",
    "exponential",
    "gaussian",
    "general_cosine",
    "general_hamming",
    "hamming",
    "hann",
    "kaiser",
    "nuttall",
]


def _window(name, M, sym, dtype, layout, device, requires_grad, values):
    """A window of M points: values(n, N) over n = 0 .. N - 1, N = M (symmetric) or M + 1 with the last point
    dropped (periodic)."""
    from ..ops.creation import _finish

    check_layout(name, layout)
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if dt.category != _dtype.FLOAT or dt.is_complex:
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dt}")
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if M == 0:
        out = np.zeros(0)
    elif M == 1:
        out = np.ones(1)
    else:
        N = M if sym else M + 1
        out = values(np.arange(N, dtype=np.float64), N)[:M]
    return _finish(out.astype(dt.np), None, device, requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    def values(n, N):
        return sum((-1) ** k * c * np.cos(2 * math.pi * k * n / (N - 1)) for k, c in enumerate(a))

    return _window("general_cosine", M, sym, dtype, layout, device, requires_grad, values)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_cosine(
        M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad
    )


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_hamming(
        M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad
    )


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_cosine(
        M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad
    )


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_cosine(
        M,
        a=[0.3635819, 0.4891775, 0.1365995, 0.0106411],
        sym=sym,
        dtype=dtype,
        layout=layout,
        device=device,
        requires_grad=requires_grad,
    )


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _window(
        "bartlett", M, sym, dtype, layout, device, requires_grad, lambda n, N: 1 - np.abs(2 * n / (N - 1) - 1)
    )


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return _window("cosine", M, sym, dtype, layout, device, requires_grad, lambda n, N: np.sin(math.pi * (n + 0.5) / N))


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _window(
        "gaussian",
        M,
        sym,
        dtype,
        layout,
        device,
        requires_grad,
        lambda n, N: np.exp(-(((n - (N - 1) / 2) / std) ** 2) / 2),
    )


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    return _window(
        "exponential",
        M,
        sym,
        dtype,
        layout,
        device,
        requires_grad,
        lambda n, N: np.exp(-np.abs(n - ((N - 1) / 2 if center is None else center)) / tau),
    )


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    return _window(
        "kaiser",
        M,
        sym,
        dtype,
        layout,
        device,
        requires_grad,
        lambda n, N: np.i0(beta * np.sqrt(np.clip(1 - (2 * n / (N - 1) - 1) ** 2, 0, None))) / np.i0(beta),
    )
