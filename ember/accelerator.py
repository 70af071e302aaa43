"""torch.accelerator: the current accelerator (CUDA through CuPy, when CuPy sees a GPU), else none."""

from . import cuda
from ._backend import device as _device


def is_available():
    return cuda.is_available()


def current_accelerator(check_available=False):
    """torch.device('cuda') when ember has a GPU, else None (as torch on a machine without an accelerator)."""
    return _device("cuda") if cuda.is_available() else None


def device_count():
    return cuda.device_count()


def current_device_index():
    return cuda.current_device() if cuda.is_available() else -1


current_device_idx = current_device_index


def set_device_index(device):
    if cuda.is_available():
        cuda.set_device(device)


set_device_idx = set_device_index


def synchronize(device=None):
    if cuda.is_available():
        cuda.synchronize(device)


def empty_cache():
    cuda.empty_cache()


def memory_allocated(device_index=None):
    return cuda.memory_allocated(device_index)


def max_memory_allocated(device_index=None):
    return cuda.max_memory_allocated(device_index)
