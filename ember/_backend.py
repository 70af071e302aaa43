"""The one seam to the array engine: NumPy for the CPU, CuPy (imported lazily) for CUDA devices.

Nothing else in ember imports cupy; ops ask `array_module(arr)` for the `xp` that owns an array.
"""
import builtins
import math
import os
import re

import numpy as np

_cupy = None


# --- the C heap under NumPy's arrays ---------------------------------------------------------------------
# glibc serves arrays over 128 KB-32 MB with fresh mmap()s (or hands the heap top back to the OS past 2x
# that), so every training step page-faults its activations and gradients in again, the kernel zeroing
# each page: ~40% of an LSTM step (8.8 -> 5.1 ms) and 15% of a DCGAN step (239 -> 203 ms), with the
# same peak RSS. Keeping blocks under 32 MB in the heap and up to 128 MB free at its top avoids that.
# Settings the user gave glibc (MALLOC_*_ variables) are left alone.
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3      # glibc's mallopt() parameter numbers


def _tune_glibc_malloc():
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return False
    except (ValueError, OSError, AttributeError):      # not glibc, or not a POSIX system
        return False
    if any(k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")):
        return False
    import ctypes
    libc = ctypes.CDLL(None)
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(_M_TRIM_THRESHOLD,
                                                                                         TRIM_THRESHOLD))


MALLOC_TUNED = _tune_glibc_malloc()


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


def is_half_precision(dtype):
    """float16 or bfloat16 (ml_dtypes' kind 'V'), read from C-level fields: NumPy's dtype.name is a
    Python property that costs more than a small op."""
    return dtype.itemsize == 2 and dtype.kind in "fV"


_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?")      # torch's own pattern


# --- BLAS threads --------------------------------------------------------------------------------------
# Like torch's intra-op threads, GEMMs run on the BLAS library's threads (ember.set_num_threads; by
# default the library's own count); OpenBLAS itself keeps tiny products on one thread. On an idle
# machine two threads beat one from ~0.5M multiply-adds up (32x128 @ 128x512: 41 -> 24 us). On a busy
# one OpenBLAS's spinning threads can run 4-20x slower than one, as torch's do: there call
# `ember.set_num_threads(1)`.
_blas_libraries = None           # threadpoolctl controllers for the BLAS libraries NumPy loaded
_num_threads = None              # set by set_num_threads


def _check_thread_count(name, num_threads, not_positive):
    """torch's checks and messages for a thread count."""
    if type(num_threads) is not builtins.int:
        raise RuntimeError(f"{name} expects an int, but got {type(num_threads).__name__}")
    if num_threads < 1:
        raise RuntimeError(not_positive)


def set_num_threads(num_threads):
    """torch.set_num_threads: the threads GEMMs use (NumPy's BLAS, through threadpoolctl)."""
    global _num_threads
    _check_thread_count("set_num_threads", num_threads, "set_num_threads expects a positive integer")
    _num_threads = num_threads
    libs = _blas()
    if not libs:
        import warnings
        warnings.warn("ember.set_num_threads: threadpoolctl is not installed (pip install 'ember[fast]'), so "
                      "NumPy's BLAS keeps its own thread count (set OMP_NUM_THREADS before starting instead)",
                      RuntimeWarning, stacklevel=2)
    for lib in libs:
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
    _check_thread_count("set_num_interop_threads", num_threads, "Expected num_threads to be positive")
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


def matmul(a, b, out=None):
    """xp.matmul.

    NumPy has no half-precision BLAS (its float16 matmul is a scalar loop, ~100x slower):
    float16/bfloat16 products are computed in float32 and rounded once to the operands' dtype, i.e.
    low-precision storage with float32 accumulation, as torch's CPU kernels do. CuPy has half GEMMs."""
    if type(a) is np.ndarray:
        if is_half_precision(a.dtype):
            product = np.matmul(a.astype(np.float32), b.astype(np.float32))
            if out is None:
                return product.astype(a.dtype)
            out[...] = product
            return out
        return np.matmul(a, b, out=out)
    return array_module(a).matmul(a, b, out=out)


def readonly_strided_view(arr, shape, strides):
    """A strided view that must not be written through (CuPy's as_strided has no writeable flag)."""
    if type(arr) is np.ndarray:
        return np.lib.stride_tricks.as_strided(arr, shape, strides, writeable=False)
    return array_module(arr).lib.stride_tricks.as_strided(arr, shape, strides)


def memory_layout(arr):
    """(xp, address of element 0, shape, strides in bytes, itemsize): where an array's elements lie."""
    xp = array_module(arr)
    ptr = arr.__array_interface__["data"][0] if xp is np else arr.data.ptr
    return xp, ptr, arr.shape, arr.strides, arr.itemsize


def strided_positions(base_layout, view_layout):
    """For each element of a view, the flat (C-order) index of the element of `base` it shares memory
    with, or -1; layouts from memory_layout(). The gradient of a strided view scatters through these."""
    xp, base_ptr, base_shape, base_strides, item = base_layout
    _, view_ptr, view_shape, view_strides, _ = view_layout

    def span(ptr, shape, strides):
        if 0 in shape:
            return ptr, ptr
        lo = ptr + sum((n - 1) * s for n, s in zip(shape, strides) if s < 0)
        return lo, ptr + sum((n - 1) * s for n, s in zip(shape, strides) if s > 0) + item
    (b_lo, b_hi), (v_lo, v_hi) = span(base_ptr, base_shape, base_strides), span(view_ptr, view_shape, view_strides)
    if v_lo == v_hi:
        return xp.zeros(view_shape, np.int64)
    lo, hi = min(b_lo, v_lo), max(b_hi, v_hi)
    # a scratch int64 array laid out like the memory: write base's indices through base's layout, read
    # them back through the view's
    scratch = xp.full((hi - lo) // item, -1, np.int64)
    as_strided = xp.lib.stride_tricks.as_strided

    def through(ptr, shape, strides):
        return as_strided(scratch[(ptr - lo) // item:], shape, tuple(s // item * 8 for s in strides))
    if b_lo != b_hi:
        through(base_ptr, base_shape, base_strides)[...] = xp.arange(math.prod(base_shape)).reshape(base_shape)
    return through(view_ptr, view_shape, view_strides).copy()


def storage_strided(arr, shape, strides, offset):
    """A writeable view, with element `strides`, of the memory `arr` lies in (its storage: the array that
    owns it), starting `offset` elements into it; torch's RuntimeError if it would reach outside."""
    root = arr
    while isinstance(root.base, type(arr)):
        root = root.base
    item = arr.itemsize
    if not root.flags.c_contiguous or root.nbytes % item:
        raise NotImplementedError("as_strided: ember needs the tensor's storage to be one contiguous block")
    storage = root.reshape(-1).view(np.uint8).view(arr.dtype)
    need = 0 if 0 in shape else offset + 1 + sum((n - 1) * st for n, st in zip(shape, strides))
    if need > storage.size:
        raise RuntimeError(f"setStorage: sizes {list(shape)}, strides {list(strides)}, storage offset {offset}, and "
                           f"itemsize {item} requiring a storage size of {need * item} are out of bounds for storage "
                           f"of size {storage.nbytes}")
    return strided_view(storage[offset:], shape, tuple(st * item for st in strides))


def strided_view(arr, shape, strides):
    """A view of arr's memory with byte `strides`, writeable if arr is (CuPy's as_strided has no such flag).
    The caller keeps it inside arr's memory."""
    if type(arr) is np.ndarray:
        return np.lib.stride_tricks.as_strided(arr, shape, strides, writeable=arr.flags.writeable)
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
