"""torch.cuda on CuPy: available only when CuPy is installed and sees a GPU.

Without one, is_available() is False, device_count() 0, the memory counters 0, and everything that
needs a device raises RuntimeError (a CUDA build of torch on a machine without a GPU does the same).
"""
from ._backend import as_device, cupy_module


def _cupy():
    cp = cupy_module()
    if cp is None:
        raise RuntimeError("Torch not compiled with CUDA enabled: ember found no usable GPU "
                           "(install cupy for your CUDA version, and check `ember.cuda.is_available()`)")
    return cp


def _index(device):
    """A device index from None (the current device), an int, 'cuda', 'cuda:1' or an ember.device."""
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    dev = as_device(device)
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    return current_device() if dev.index is None else dev.index


def is_available():
    return cupy_module() is not None


def device_count():
    cp = cupy_module()
    return cp.cuda.runtime.getDeviceCount() if cp else 0


def current_device():
    return _cupy().cuda.Device().id


def set_device(device):
    _cupy().cuda.Device(_index(device)).use()


def synchronize(device=None):
    """Wait for every kernel queued on the device (CuPy runs on its null stream)."""
    cp = _cupy()
    with cp.cuda.Device(_index(device)):
        cp.cuda.Stream.null.synchronize()


def get_device_name(device=None):
    name = _cupy().cuda.runtime.getDeviceProperties(_index(device))["name"]
    return name.decode() if isinstance(name, bytes) else name


def manual_seed(seed):
    """Seeds ember's generator (one generator serves every device)."""
    from .ops.creation import manual_seed as _seed
    _seed(seed)


manual_seed_all = manual_seed


def empty_cache():
    cp = cupy_module()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None):
    cp = cupy_module()
    return cp.get_default_memory_pool().used_bytes() if cp else 0


def max_memory_allocated(device=None):
    """CuPy's pool keeps no high-water mark: the bytes the pool holds, an upper bound of what was in use."""
    cp = cupy_module()
    return cp.get_default_memory_pool().total_bytes() if cp else 0


def memory_reserved(device=None):
    """The bytes CuPy's memory pool holds (torch's caching allocator's reserve), 0 without a GPU."""
    cp = cupy_module()
    return cp.get_default_memory_pool().total_bytes() if cp else 0


max_memory_reserved = max_memory_allocated


def reset_peak_memory_stats(device=None):
    """CuPy's pool keeps no peak to reset (max_memory_allocated reports what the pool holds)."""
    _cupy()


def is_initialized():
    return cupy_module() is not None


def is_bf16_supported(including_emulation=True):
    """False: CuPy arrays have no bfloat16 dtype, so ember's GPU tensors cannot hold it."""
    return False


def seed_all():
    from .ops.creation import seed
    seed()


def _legacy_types():
    """torch.cuda.FloatTensor ...: the legacy types of CUDA tensors (a TypeError without a GPU, as torch's)."""
    from .ops.creation import _legacy_type
    from . import _dtype
    names = {"FloatTensor": _dtype.float32, "DoubleTensor": _dtype.float64, "HalfTensor": _dtype.float16,
             "LongTensor": _dtype.int64, "IntTensor": _dtype.int32, "ShortTensor": _dtype.int16,
             "CharTensor": _dtype.int8, "ByteTensor": _dtype.uint8, "BoolTensor": _dtype.bool}
    return {name: _legacy_type(dt, name, "cuda") for name, dt in names.items()}


globals().update(_legacy_types())


class amp:
    """torch.cuda.amp: the deprecated spelling of torch.amp with device_type='cuda'."""
    from .amp import GradScaler as _GradScaler, autocast as _autocast

    class GradScaler(_GradScaler):
        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            import warnings
            warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use `torch.amp.GradScaler("
                          "'cuda', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    class autocast(_autocast):
        def __init__(self, enabled=True, dtype=None, cache_enabled=True):
            import warnings
            warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use `torch.amp.autocast("
                          "'cuda', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
