"""Compiled CPU kernels where NumPy is the bottleneck, behind one seam (the `[fast]` extra: numba).

An op asks `for_arrays(*arrays)` for the kernels; it gets the module of numba functions
(`ember._kernels.numba_kernels`) when numba is installed, `EMBER_NO_NUMBA` is not set and every
array is a NumPy float32/float64 array, and None otherwise: then the op runs its NumPy (or CuPy) code,
which stays the reference the kernels are tested against.

numba is imported on the first call that can use it (its import alone takes longer than all of
`import ember`). Each kernel is compiled on its first call for the types it gets and cached
on disk (numba's cache=True: in __pycache__ beside the kernels' source, or numba's per-user cache
directory when that is not writable), so later processes load it instead of compiling again; with no
writable cache directory at all, each process compiles on first use.
"""

import os

import numpy as np

# EMBER_NO_NUMBA=1 keeps ember on its NumPy code even with numba installed; tests switch `enabled`
enabled = os.environ.get("EMBER_NO_NUMBA", "") in ("", "0")
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_module = None  # the kernels module once imported; False when numba is not installed


def load():
    """The kernels module, or None when numba is not installed (imported once)."""
    global _module
    if _module is None:
        try:
            from . import numba_kernels
        except ImportError:
            _module = False
        else:
            _module = numba_kernels
    return _module or None


def for_arrays(*arrays):
    """The kernels module if they may run on these arrays (None entries are skipped), else None."""
    if not enabled:
        return None
    dtype = None
    for a in arrays:
        if a is None:
            continue
        if type(a) is not np.ndarray or a.dtype not in _FLOATS or (dtype is not None and a.dtype != dtype):
            return None
        dtype = a.dtype
    return load()
