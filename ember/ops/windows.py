"""torch's *_window functions (periodic by default, for spectral analysis), from ember.signal.windows."""

import math

import numpy as np

from ..signal import windows
from ._registry import torch_api


def _periodic_window(name, make):
    def window(
        window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False
    ):
        from .._formats import check_pin_memory

        check_pin_memory(name, pin_memory)
        return make(
            window_length, sym=not periodic, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad
        )

    window.__name__ = name
    return torch_api(name, method=False)(window)


hann_window = _periodic_window("hann_window", windows.hann)
blackman_window = _periodic_window("blackman_window", windows.blackman)
bartlett_window = _periodic_window("bartlett_window", windows.bartlett)


@torch_api(method=False)
def hamming_window(
    window_length,
    periodic=True,
    alpha=0.54,
    beta=0.46,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
):
    from .._formats import check_pin_memory

    check_pin_memory("hamming_window", pin_memory)
    return windows._window(
        "hamming_window",
        window_length,
        not periodic,
        dtype,
        layout,
        device,
        requires_grad,
        lambda n, N: alpha - beta * np.cos(2 * math.pi * n / (N - 1)),
    )


@torch_api(method=False)
def kaiser_window(
    window_length,
    periodic=True,
    beta=12.0,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
):
    from .._formats import check_pin_memory

    check_pin_memory("kaiser_window", pin_memory)
    return windows.kaiser(
        window_length,
        beta=beta,
        sym=not periodic,
        dtype=dtype,
        layout=layout,
        device=device,
        requires_grad=requires_grad,
    )
