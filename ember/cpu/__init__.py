"""torch.cpu: the CPU device's small API, and torch.cpu.amp (the older spelling of torch.amp for 'cpu')."""

from . import amp  # noqa: F401


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """The CPU is one device: nothing to select."""


def synchronize(device=None):
    """CPU ops finish before they return: nothing to wait for."""


def is_initialized():
    return True
