"""The one seam to the array engine: NumPy for the CPU, CuPy (imported lazily) for CUDA devices.

Nothing else in ember imports cupy; ops ask `array_module(arr)` for the `xp` that owns an array.
"""

import builtins
import contextlib
import math
import os
import re

import numpy as np

_cupy = None


# --- the C heap under NumPy's arrays ---------------------------------------------------------------------
# glibc serves arrays over 128 KB-32 MB with fresh mmap()s (or hands the heap top back to the OS past 2x
# that), so every training step page-faults its activations and gradients in again, the kernel zeroing
# each page (a large share of an LSTM or DCGAN step: see the README's performance section). Keeping blocks
# under 32 MB in the heap and up to 128 MB free at its top avoids that, with the same peak RSS. It changes
# the whole process's allocator, so it is opt-in: ember.tune_malloc(), or EMBER_TUNE_MALLOC=1 at import
# (the `ember` command's train and bench turn it on). Settings the user gave glibc (MALLOC_*_) are kept.
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt() parameter numbers
MALLOC_TUNED = False


def is_glibc():
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # not glibc, or not a POSIX system
        return False


def tune_malloc():
    """Keep freed array memory in glibc's heap instead of handing it back to the OS after every step (this
    process's allocator, for its whole life). Returns whether the settings took effect: False off glibc or
    when the user set MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_/MALLOC_TOP_PAD_."""
    global MALLOC_TUNED
    if MALLOC_TUNED:
        return True
    if not is_glibc() or any(
        k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")
    ):
        return False
    import ctypes

    libc = ctypes.CDLL(None)
    MALLOC_TUNED = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return MALLOC_TUNED


if os.environ.get("EMBER_TUNE_MALLOC") == "1":
    tune_malloc()


def cupy_module():
    """CuPy if it is installed and sees a GPU, else None (imported once, on first use).

    Without a real CuPy, EMBER_STRICT_CUDA=1 puts the strict test device (ember._strict_cuda) in its place."""
    global _cupy, _cupy_error
    if _cupy is None:
        try:
            import cupy

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception as e:
            _cupy_error = e
            _cupy = False
            if os.environ.get("EMBER_STRICT_CUDA") == "1":
                from . import _strict_cuda

                _cupy = _strict_cuda
    return _cupy or None


_cupy_error = None  # why CuPy could not be used: ImportError (not installed) or a CUDA error (no GPU)


def nccl_module():
    """CuPy's NCCL bindings (cupy.cuda.nccl) when CuPy has them and sees a GPU, else None."""
    if not has_real_cupy():
        return None
    try:
        from cupy.cuda import nccl
    except ImportError:
        return None
    return nccl if getattr(nccl, "available", True) else None


def has_real_cupy():
    """CuPy with a GPU, not the strict test device."""
    cp = cupy_module()
    return cp is not None and cp.__name__ == "cupy"


@contextlib.contextmanager
def strict_cuda():
    """Make the strict test device (ember._strict_cuda) ember's `cuda` for the duration: for tests on
    machines without a GPU. It stands in for CuPy; use the real one when has_real_cupy()."""
    global _cupy
    from . import _strict_cuda

    saved = _cupy
    _cupy = _strict_cuda
    try:
        with _strict_cuda._fresh_state():
            yield _strict_cuda
    finally:
        _cupy = saved


class CudaUnavailableError(AssertionError, RuntimeError):
    """A CUDA call without CUDA. torch's CPU-only build raises AssertionError, its CUDA build on a machine
    without a GPU RuntimeError: this is both, so code written for either catches it."""


def no_cuda_error():
    """torch's error for a CUDA call without CUDA: "Torch not compiled with CUDA enabled" when CuPy is not
    installed (torch without CUDA), "No CUDA GPUs are available" when it is but finds no GPU."""
    cupy_module()
    if isinstance(_cupy_error, ImportError):
        return CudaUnavailableError(
            "Torch not compiled with CUDA enabled: ember found no usable GPU (CuPy is not "
            "installed: install cupy for your CUDA version, and check "
            "`ember.cuda.is_available()`)"
        )
    return CudaUnavailableError(
        f"No CUDA GPUs are available: ember found no usable GPU (CuPy: {_cupy_error}; "
        "check `ember.cuda.is_available()`)"
    )


def array_module(arr):
    if _cupy and isinstance(arr, _cupy.ndarray):
        return _cupy
    return np


def is_half_precision(dtype):
    """float16 or bfloat16 (ml_dtypes' kind 'V'), read from C-level fields: NumPy's dtype.name is a
    Python property that costs more than a small op."""
    return dtype.itemsize == 2 and dtype.kind in "fV"


_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?")  # torch's own pattern


# --- BLAS threads --------------------------------------------------------------------------------------
# Like torch's intra-op threads, GEMMs run on the BLAS library's threads (ember.set_num_threads; by
# default the library's own count); OpenBLAS itself keeps tiny products on one thread. On an idle
# machine two threads beat one from about half a million multiply-adds up. On a busy one OpenBLAS's
# spinning threads can run several times slower than one, as torch's do: there call
# `ember.set_num_threads(1)`.
_blas_libraries = None  # threadpoolctl controllers for the BLAS libraries NumPy loaded
_num_threads = None  # set by set_num_threads


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
        from ._extras import install_hint

        warnings.warn(
            f"ember.set_num_threads: threadpoolctl is not installed ({install_hint('fast')}), so "
            "NumPy's BLAS keeps its own thread count (set OMP_NUM_THREADS before starting instead)",
            RuntimeWarning,
            stacklevel=2,
        )
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
        except ImportError:  # threadpoolctl is optional (ember[fast]); without it BLAS keeps its own threads
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
    xp = array_module(a)
    if xp is not np and xp.cuda.get_current_stream().is_capturing():
        return _matmul_without_blas(xp, a, b, out)
    return xp.matmul(a, b, out=out)


_CAPTURE_CHUNK = 1 << 24  # elements of the products one step of _matmul_without_blas holds


def _matmul_without_blas(xp, a, b, out):
    """a @ b from elementwise products summed over k, in chunks of k: for CUDA-graph capture, where CuPy
    refuses cuBLAS calls. Slower than a GEMM; a captured step pays it once per replay, not per launch."""
    vector_a, vector_b = a.ndim == 1, b.ndim == 1
    a2 = a[None, :] if vector_a else a
    b2 = b[:, None] if vector_b else b
    m, k, n = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    per_k = max(1, math.prod(batch) * m * n)
    step = max(1, _CAPTURE_CHUNK // per_k)
    product = None
    for start in range(0, k, step):
        part = (a2[..., :, start : start + step, None] * b2[..., None, start : start + step, :]).sum(axis=-2)
        product = part if product is None else product + part
    if product is None:
        product = xp.zeros(batch + (m, n), np.result_type(a.dtype, b.dtype))
    if vector_a:
        product = product[..., 0, :]
    if vector_b:
        product = product[..., 0]
    if out is None:
        return product
    out[...] = product
    return out


def can_sync(arr):
    """Whether an op may read `arr`'s values back to the host (for a bounds check, say): always on the CPU;
    on a GPU not while a CUDA graph is being captured, where reading back is not allowed (torch checks on
    the device there; ember skips the check)."""
    if type(arr) is np.ndarray:
        return True
    xp = array_module(arr)
    return xp is np or not xp.cuda.get_current_stream().is_capturing()


def multiply_at(out, key, values):
    """np.multiply.at(out, key, values). CuPy has ufunc.at for add/max/min only, so on a GPU the products
    go in rounds, each writing at most one value per target (the k-th round takes the k-th repeat)."""
    if type(out) is np.ndarray:
        np.multiply.at(out, key, values)
        return
    xp = array_module(out)
    targets = xp.arange(out.size).reshape(out.shape)[key]
    vals = xp.broadcast_to(values, targets.shape).ravel()
    targets = targets.ravel()
    order = xp.argsort(targets, kind="stable")
    targets, vals = targets[order], vals[order]
    starts = xp.concatenate([xp.ones(1, np.bool_), targets[1:] != targets[:-1]])
    rank = xp.arange(targets.size) - xp.nonzero(starts)[0][xp.cumsum(starts) - 1]
    flat = out.reshape(-1)
    for r in range(int(rank.max()) + 1 if rank.size else 0):
        picked = rank == r
        flat[targets[picked]] *= vals[picked]


def accumulate(ufunc_name, arr, axis):
    """np.<ufunc>.accumulate(arr, axis) for maximum/minimum/logaddexp: CuPy has accumulate for add and multiply only,
    so on a GPU it is a scan in log2(n) steps, each one elementwise op over the whole array."""
    xp = array_module(arr)
    if xp is np:
        return getattr(np, ufunc_name).accumulate(arr, axis=axis)
    ufunc = getattr(xp, ufunc_name)
    out = arr.copy()
    n, shift = arr.shape[axis], 1
    while shift < n:
        head = (slice(None),) * axis
        ufunc(
            out[head + (slice(shift, None),)],
            out[head + (slice(0, n - shift),)].copy(),
            out=out[head + (slice(shift, None),)],
        )
        shift *= 2
    return out


def tap_slices(k, dilation, stride, out):
    """The slices that pick kernel tap k of every window (out windows per dim) from a padded array."""
    return tuple(slice(ki * d, ki * d + (o - 1) * s + 1, s) for ki, d, s, o in zip(k, dilation, stride, out))


def add_window_taps(padded, source, lead, kernel, dilation, stride, out, per_tap=True):
    """padded[..., k*d + o*s, ...] += source[..., k, o, ...] for every kernel tap k and output position o: the
    adjoint of sliding windows (col2im, average pooling's backward). `padded` is (*L, *P, *T) with `lead`
    leading axes L; `source` is (*L, *K, *Out, *T), or (*L, *Out, *T) added to every tap when not per_tap.

    NumPy: a strided add per tap (fast there: each is one vectorised pass). CuPy: one scatter-add over every
    tap at once (a loop would be one kernel launch per tap, and launches are what a GPU step pays for).
    CuPy's scatter-add is atomic: float sums may differ in the last bits between runs."""
    import itertools

    nd = len(kernel)
    head = (slice(None),) * lead
    xp = array_module(padded)
    if xp is np:
        for k in itertools.product(*(range(k) for k in kernel)):
            padded[head + tap_slices(k, dilation, stride, out)] += source[head + k] if per_tap else source
        return padded
    trail = padded.ndim - lead - nd
    full = padded.shape[:lead] + tuple(kernel) + tuple(out) + padded.shape[lead + nd :]
    if not per_tap:
        source = source.reshape(source.shape[:lead] + (1,) * nd + source.shape[lead:])
    index = []
    for axis in range(lead):
        index.append(xp.arange(full[axis]).reshape((-1,) + (1,) * (len(full) - axis - 1)))
    for i in range(nd):
        tap = xp.arange(kernel[i]).reshape((-1,) + (1,) * (nd - 1 + nd - i + trail)) * dilation[i]
        position = xp.arange(out[i]).reshape((-1,) + (1,) * (nd - 1 - i + trail)) * stride[i]
        index.append(tap + position)
    for axis in range(trail):
        index.append(xp.arange(full[lead + 2 * nd + axis]).reshape((-1,) + (1,) * (trail - axis - 1)))
    xp.add.at(padded, tuple(index), xp.broadcast_to(source, full))
    return padded


def window_taps_sum(padded, lead, kernel, dilation, stride, out, dtype=None):
    """sum over k of padded[..., k*d + o*s, ...]: each window's sum (average pooling), (*L, *Out, *T),
    accumulated in `dtype` (None: padded's own).

    NumPy: a strided add per tap. CuPy: one reduction over a strided view of every window."""
    import itertools

    nd = len(kernel)
    head = (slice(None),) * lead
    xp = array_module(padded)
    if xp is np:
        total = None
        for k in itertools.product(*(range(k) for k in kernel)):
            window = padded[head + tap_slices(k, dilation, stride, out)]
            total = window.astype(window.dtype if dtype is None else dtype) if total is None else total.__iadd__(window)
        return total
    st = padded.strides
    view = readonly_strided_view(
        padded,
        padded.shape[:lead] + tuple(kernel) + tuple(out) + padded.shape[lead + nd :],
        st[:lead]
        + tuple(st[lead + i] * dilation[i] for i in range(nd))
        + tuple(st[lead + i] * stride[i] for i in range(nd))
        + st[lead + nd :],
    )
    return view.sum(axis=tuple(range(lead, lead + nd)), dtype=dtype)


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
        return as_strided(scratch[(ptr - lo) // item :], shape, tuple(s // item * 8 for s in strides))

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
    return element_view(root.reshape(-1).view(np.uint8).view(arr.dtype), shape, strides, offset)


def element_view(elements, shape, strides, offset=0):
    """A view of the 1-d array `elements` with `shape` and element `strides`, starting `offset` elements in;
    torch's RuntimeError if it would reach outside."""
    item = elements.itemsize
    need = 0 if 0 in shape else offset + 1 + sum((n - 1) * st for n, st in zip(shape, strides))
    if need > elements.size:
        raise RuntimeError(
            f"setStorage: sizes {list(shape)}, strides {list(strides)}, storage offset {offset}, and "
            f"itemsize {item} requiring a storage size of {need * item} are out of bounds for storage "
            f"of size {elements.nbytes}"
        )
    return strided_view(elements[offset:], shape, tuple(st * item for st in strides))


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
            raise TypeError(
                f"device() received an invalid combination of arguments - got "
                f"({builtins.type(type).__name__}), but expected a device string like 'cpu' or "
                "'cuda:0', a device, or (type, index)"
            )
        match = _DEVICE_STRING.fullmatch(type)
        if match is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        if match.group(1) not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if match.group(2) is not None:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was passed explicitly: {type}"
                )
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
        return (
            f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"
        )

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        """`with torch.device("cuda"):` makes it the default device of the creation functions inside."""
        _default_devices.append(self)
        return self

    def __exit__(self, *exc):
        _default_devices.pop()


CPU = device("cpu")
_default_devices = [CPU]  # the bottom entry is set_default_device's, the rest are `with device(...)` blocks


def as_device(spec):
    if spec is None:
        return CPU
    if isinstance(spec, int):
        return device("cuda", spec)
    return spec if isinstance(spec, device) else device(spec)


def set_default_device(device):
    """torch.set_default_device: where creation functions (zeros, tensor, randn, ...) allocate by default."""
    _default_devices[0] = CPU if device is None else as_device(device)


def get_default_device():
    dev = _default_devices[-1]
    if dev.type == "cuda" and dev.index is None:
        return device("cuda", current_cuda_index())
    return dev


def target_device(spec):
    """A creation function's device: the one given, else the default device."""
    return _default_devices[-1] if spec is None else as_device(spec)


def current_cuda_index():
    cp = cupy_module()
    if cp is None:
        raise no_cuda_error()
    return cp.cuda.Device().id


def allocate(dev, make):
    """make(xp) run for device `dev`: NumPy for the CPU; CuPy with that GPU current for CUDA, so arrays are
    allocated there and nothing is built on the host and copied."""
    if dev.type == "cpu":
        return make(np)
    cp = cupy_module()
    if cp is None:
        raise no_cuda_error()
    if dev.index is None:
        return make(cp)
    with cp.cuda.Device(dev.index):
        return make(cp)


def to_host(arr):
    """A NumPy array with the data of `arr` (a copy from a GPU; `arr` itself on the CPU)."""
    return arr.get() if _cupy and isinstance(arr, _cupy.ndarray) else arr


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


_constants = {}  # (device, dtype, shape, bytes) -> the device copy of a host constant
_MAX_CONSTANTS = 1024


def constant_like(host, arr):
    """`host` (a small NumPy array of constants an op derived from shapes: indices, interpolation weights)
    on `arr`'s device. Device copies are cached by value, so a training loop copies each constant once,
    and a CUDA graph captured after a warm-up step copies none (host-to-device copies cannot be captured).
    The copies are shared: ops must not write into them."""
    if type(arr) is np.ndarray or array_module(arr) is np:
        return host
    dev = device_of(arr)
    key = (dev, host.dtype.str, host.shape, host.tobytes())
    cached = _constants.get(key)
    if cached is None:
        if len(_constants) >= _MAX_CONSTANTS:
            _constants.pop(next(iter(_constants)))
        cached = _constants[key] = to_device(host, dev)
    return cached


def check_one_device(args, op_name):
    """torch's RuntimeError when the arrays of tensors among `args` live on more than one device."""
    devices = []
    for a in args:
        arr = getattr(a, "_data", None)
        if arr is not None and hasattr(arr, "dtype"):
            dev = device_of(arr)
            if dev not in devices:
                devices.append(dev)
    if len(devices) > 1:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{devices[0]} and {devices[1]}! (in {op_name}; move one with .to(device))"
        ) from None


def to_device(arr, dev):
    """Copy an array to `dev` (a device); the same array when it is already there."""
    if dev.type == "cpu":
        return arr.get() if _cupy and isinstance(arr, _cupy.ndarray) else arr
    return allocate(dev, lambda cp: cp.asarray(arr))
