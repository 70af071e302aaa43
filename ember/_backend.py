"""The one seam to the array engine: NumPy for the CPU, CuPy (imported lazily) for CUDA devices.

Nothing else in ember imports cupy; ops ask `array_module(arr)` for the `xp` that owns an array.
"""
import builtins
import os
import re

import numpy as np

_cupy = None


def cupy_module():
    """CuPy if it is installed and sees a GPU, else None (imported once, on first use)."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:
            _cupy = False
    return _cupy or None


def array_module(arr):
    if _cupy and isinstance(arr, _cupy.ndarray):
        return _cupy
    return np


_HALF_PRECISION = ("float16", "bfloat16")
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?")      # torch's own pattern


# --- BLAS threads --------------------------------------------------------------------------------------
# Like torch's intra-op threads: GEMMs of at least PARALLEL_GEMM_MACS multiply-adds run on the BLAS
# library's threads (ember.set_num_threads; by default the library's own count), smaller ones on one
# thread, where waking a second thread costs more than it saves. On a busy machine OpenBLAS's spinning
# threads run 4-20x slower than one (torch's slow down as much): there `ember.set_num_threads(1)`.
_blas_libraries = None           # threadpoolctl controllers for the BLAS libraries NumPy loaded
PARALLEL_GEMM_MACS = 1 << 21
_num_threads = None              # set by set_num_threads


def set_num_threads(num_threads):
    """torch.set_num_threads: the threads large GEMMs use (NumPy's BLAS, through threadpoolctl)."""
    global _num_threads
    if type(num_threads) is not builtins.int:
        raise RuntimeError(f"set_num_threads expects an int, but got {type(num_threads).__name__}")
    if num_threads < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads = num_threads
    for lib in _blas():
        lib.set_num_threads(num_threads)


def get_num_threads():
    """torch.get_num_threads."""
    if _num_threads is not None:
        return _num_threads
    libs = _blas()
    return libs[0].get_num_threads() if libs else (os.cpu_count() or 1)


_num_interop_threads = os.cpu_count() or 1


def set_num_interop_threads(num_threads):
    """torch.set_num_interop_threads. ember runs one op at a time (no inter-op pool), so the number is
    only kept for get_num_interop_threads."""
    global _num_interop_threads
    if type(num_threads) is not builtins.int:
        raise RuntimeError(f"set_num_interop_threads expects an int, but got {type(num_threads).__name__}")
    if num_threads < 1:
        raise RuntimeError("Expected num_threads to be positive")
    _num_interop_threads = num_threads


def get_num_interop_threads():
    return _num_interop_threads


def _blas():
    global _blas_libraries
    if _blas_libraries is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:      # threadpoolctl is optional (ember[fast]); without it BLAS keeps its own threads
            _blas_libraries = ()
        else:
            _blas_libraries = tuple(ThreadpoolController().select(user_api="blas").lib_controllers)
    return _blas_libraries


def blas_threads_to_one():
    """Set every BLAS library to one thread; returns what `restore_blas_threads` needs to undo it."""
    saved = []
    for lib in _blas_libraries if _blas_libraries is not None else _blas():
        n = lib.get_num_threads()
        if n != 1:
            lib.set_num_threads(1)
            saved.append((lib, n))
    return saved


def restore_blas_threads(saved):
    for lib, n in saved:
        lib.set_num_threads(n)


class single_threaded_blas:
    """`with single_threaded_blas():` runs the block's BLAS calls on one thread (for loops of small GEMMs)."""
    __slots__ = ("_saved",)

    def __enter__(self):
        self._saved = blas_threads_to_one()

    def __exit__(self, *exc):
        restore_blas_threads(self._saved)


def _numpy_matmul(a, b, out):
    if a.ndim >= 2 and b.ndim >= 2 and max(a.size * b.shape[-1], b.size * a.shape[-2]) >= PARALLEL_GEMM_MACS:
        return np.matmul(a, b, out=out)
    saved = blas_threads_to_one()
    try:
        return np.matmul(a, b, out=out)
    finally:
        restore_blas_threads(saved)


def matmul(a, b, out=None):
    """xp.matmul; NumPy GEMMs below PARALLEL_GEMM_MACS run on one BLAS thread (see above).

    NumPy has no half-precision BLAS (its float16 matmul is a scalar loop, ~100x slower):
    float16/bfloat16 products are computed in float32 and rounded once to the operands' dtype, i.e.
    low-precision storage with float32 accumulation, as torch's CPU kernels do. CuPy has half GEMMs."""
    if type(a) is np.ndarray:
        if a.dtype.name in _HALF_PRECISION:
            product = _numpy_matmul(a.astype(np.float32), b.astype(np.float32), None)
            if out is None:
                return product.astype(a.dtype)
            out[...] = product
            return out
        return _numpy_matmul(a, b, out)
    return array_module(a).matmul(a, b, out=out)


def readonly_strided_view(arr, shape, strides):
    """A strided view that must not be written through (CuPy's as_strided has no writeable flag)."""
    if type(arr) is np.ndarray:
        return np.lib.stride_tricks.as_strided(arr, shape, strides, writeable=False)
    return array_module(arr).lib.stride_tricks.as_strided(arr, shape, strides)


class device:
    """torch.device: device('cpu'), device('cuda'), device('cuda:1'), device('cuda', 0), device(0) (= cuda:0)."""
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({builtins.type(type).__name__}), but expected a device string like 'cpu' or "
                            "'cuda:0', a device, or (type, index)")
        match = _DEVICE_STRING.fullmatch(type)
        if match is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        if match.group(1) not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if match.group(2) is not None:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            index = int(match.group(2))
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = match.group(1), index

    def __eq__(self, other):
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def as_device(spec):
    if spec is None:
        return CPU
    if isinstance(spec, int):
        return device("cuda", spec)
    return spec if isinstance(spec, device) else device(spec)


def diagonal_view(arr, offset, dim1, dim2):
    """A writeable diagonal view, as torch's (NumPy hands out diagonals read-only)."""
    if array_module(arr) is not np:
        return arr.diagonal(offset, dim1, dim2)
    view = np.diagonal(arr, offset, dim1, dim2)
    if arr.flags.writeable:
        view.flags.writeable = True
    return view


def device_of(arr):
    if _cupy and isinstance(arr, _cupy.ndarray):
        return device("cuda", arr.device.id)
    return CPU


def to_device(arr, dev):
    """Copy an array to `dev` (a device); the same array when it is already there."""
    if dev.type == "cpu":
        return arr.get() if _cupy and isinstance(arr, _cupy.ndarray) else arr
    cp = cupy_module()
    if cp is None:
        raise RuntimeError("Torch not compiled with CUDA enabled: ember found no usable GPU "
                           "(install cupy for your CUDA version, and check `ember.cuda.is_available()`)")
    with cp.cuda.Device(dev.index or 0):
        return cp.asarray(arr)
