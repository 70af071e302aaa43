"""torch.cuda on CuPy: available only when CuPy is installed and sees a GPU."""
from ._backend import cupy_module


def is_available():
    return cupy_module() is not None


def device_count():
    cp = cupy_module()
    return cp.cuda.runtime.getDeviceCount() if cp else 0


def current_device():
    cp = cupy_module()
    if cp is None:
        _no_cuda()
    return cp.cuda.Device().id


def set_device(device):
    cp = cupy_module()
    if cp is None:
        _no_cuda()
    from ._backend import as_device
    cp.cuda.Device(device if isinstance(device, int) else as_device(device).index or 0).use()


def synchronize(device=None):
    cp = cupy_module()
    if cp is not None:
        cp.cuda.Stream.null.synchronize()


def get_device_name(device=None):
    cp = cupy_module()
    if cp is None:
        _no_cuda()
    return cp.cuda.runtime.getDeviceProperties(0 if device is None else int(str(device).split(":")[-1] or 0))[
        "name"].decode()


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
    cp = cupy_module()
    return cp.get_default_memory_pool().total_bytes() if cp else 0


def _no_cuda():
    raise RuntimeError("Torch not compiled with CUDA enabled: ember found no usable GPU "
                       "(install cupy for your CUDA version, and check `ember.cuda.is_available()`)")


class amp:
    """torch.cuda.amp: the legacy spelling of torch.amp with device_type='cuda'."""
    from .amp import GradScaler

    @staticmethod
    def autocast(enabled=True, dtype=None, cache_enabled=True):
        from .amp import autocast
        return autocast("cuda", dtype=dtype, enabled=enabled)
