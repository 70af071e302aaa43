"""torch.* names about the runtime rather than tensors: typename/is_storage, the default tensor type, the
autocast state functions, build flags and constants, the exception types torch raises, and the device-module
lookup. ember/__init__.py binds them into the namespace."""

import math
import warnings

from . import _dtype
from .amp import autocast_mode as _autocast
from ._tensor import Tensor

# --- constants and build flags (what this build of ember has) -------------------------------------------------
e, pi, inf, nan = math.e, math.pi, math.inf, math.nan
newaxis = None
has_lapack = True  # NumPy's linalg is LAPACK
has_spectral = True  # ember.fft
has_mkl = False
has_openmp = False


class OutOfMemoryError(RuntimeError):
    """torch.OutOfMemoryError (torch.cuda.OutOfMemoryError): an allocation on a device failed."""


class AcceleratorError(RuntimeError):
    """torch.AcceleratorError: an error reported by an accelerator's runtime."""


def typename(obj, /):
    """'torch.FloatTensor' for a float32 tensor, else the object's qualified type name."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    if not isinstance(obj, type):
        module, name = type(obj).__module__, type(obj).__qualname__
    return name if module in ("builtins", "") else f"{module}.{name}"


def is_storage(obj, /):
    from .storage import TypedStorage, UntypedStorage

    return isinstance(obj, (TypedStorage, UntypedStorage))


def set_default_tensor_type(t, /):
    """Deprecated in torch: set the default dtype from a legacy tensor type (torch.DoubleTensor or its name)."""
    warnings.warn(
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
        UserWarning,
        stacklevel=2,
    )
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    if ".cuda." in f".{name}." or name.startswith("torch.cuda"):
        raise NotImplementedError(
            f"set_default_tensor_type({name}): ember does not make CUDA the default through "
            "tensor types; use torch.set_default_device('cuda')"
        )
    dtypes = {
        "FloatTensor": _dtype.float32,
        "DoubleTensor": _dtype.float64,
        "HalfTensor": _dtype.float16,
        "BFloat16Tensor": _dtype.bfloat16,
    }
    dt = dtypes.get(name.rpartition(".")[2])
    if dt is None:
        raise TypeError(f"only floating-point types are supported as the default type (got {name})")
    _dtype.set_default_dtype(dt)


def set_flush_denormal(mode):
    """False: NumPy gives no control of the CPU's denormal flushing, so ember cannot set it."""
    return False


def is_vulkan_available():
    return False


def get_device_module(device=None):
    """The module of a device type: torch.cuda, torch.cpu, ... (the default device's when None)."""
    import importlib
    from ._backend import get_default_device

    if device is None:
        kind = get_default_device().type
    else:
        kind = device.split(":")[0] if isinstance(device, str) else device.type
    if kind in ("cpu", "cuda"):
        return importlib.import_module("ember." + kind)
    if kind in ("mps", "xpu", "mtia"):
        return getattr(importlib.import_module("ember"), kind)
    raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered as 'torch.{kind}'.")


# --- inference mode ------------------------------------------------------------------------------------------


def is_inference_mode_enabled():
    from .autograd.grad_mode import inference_state

    return inference_state.enabled


# --- autocast state --------------------------------------------------------------------------------------------

_cache = {"enabled": True}
_nesting = [0]


def _deprecated(old, new):
    warnings.warn(f"torch.{old}() is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def is_autocast_enabled(device_type="cuda"):
    return _autocast.is_autocast_enabled(device_type)


def get_autocast_dtype(device_type):
    return _autocast.get_autocast_dtype(device_type)


def set_autocast_enabled(device_type, enabled=None):
    if enabled is None:  # the deprecated one-argument form: CUDA's flag
        device_type, enabled = "cuda", device_type
    _autocast.state.enabled[device_type] = bool(enabled)


def set_autocast_dtype(device_type, dtype):
    _autocast.state.dtype[device_type] = _autocast._low_precision_dtype(dtype)


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    _deprecated("set_autocast_cpu_enabled", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def set_autocast_cpu_dtype(dtype):
    _deprecated("set_autocast_cpu_dtype", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype):
    _deprecated("set_autocast_gpu_dtype", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled():
    return _cache["enabled"]


def set_autocast_cache_enabled(enabled):
    # the flag is kept for programs that read it back; ember's autocast casts weights at each use, so there is no
    # cache for it to switch
    _cache["enabled"] = bool(enabled)


def clear_autocast_cache():
    """ember's autocast keeps no cache of cast weights: nothing to clear."""


def autocast_increment_nesting():
    _nesting[0] += 1
    return _nesting[0]


def autocast_decrement_nesting():
    _nesting[0] -= 1
    return _nesting[0]


NAMES = {
    name: value for name, value in globals().items() if not name.startswith("_") and name not in ("math", "warnings")
}
