"""autocast: which ops run in low precision, as torch's autocast op lists say.

Ops call one helper on their floating inputs, first thing:
  low_precision    matmul, mm, bmm, addmm, linear, conv*: torch's lower_precision_fp list (CPU and CUDA)
  full_precision   the losses: torch's fp32 list on CPU and CUDA
  full_precision_on_cuda   softmax, log_softmax, layer_norm: float32 under CUDA autocast only; torch's
                   CPU autocast leaves them in the input's dtype
As in torch, float64 tensors are never cast, and each device type has its own enabled flag and dtype.
"""

import functools

from .. import _dtype

_DEFAULT_DTYPE_NAMES = {"cpu": "bfloat16", "cuda": "float16"}


class _State:
    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = {}  # device type -> dtype while set by an autocast region


state = _State()


def _low_precision_dtype(d):
    if d in ("bfloat16", "torch.bfloat16") and _dtype.bfloat16 is None:
        from .._extras import install_hint

        raise RuntimeError(
            f"autocast with dtype=bfloat16 (the CPU default) needs the ml_dtypes package: "
            f"{install_hint('amp')}, or pass dtype=torch.float16"
        )
    dt = _dtype.as_dtype(d)
    if dt not in (_dtype.float16, _dtype.bfloat16):
        raise RuntimeError(f"autocast: dtype must be torch.float16 or torch.bfloat16, got {dt}")
    return dt


def is_autocast_enabled(device_type="cuda"):
    """torch.is_autocast_enabled(device_type); with no argument, CUDA's flag, as torch."""
    return state.enabled.get(device_type, False)


def get_autocast_dtype(device_type):
    if device_type in state.dtype:
        return state.dtype[device_type]
    return _low_precision_dtype(_DEFAULT_DTYPE_NAMES[device_type])


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): a context manager and decorator."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if device_type not in _DEFAULT_DTYPE_NAMES:
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{device_type}' (ember supports 'cpu' and 'cuda')"
            )
        self.device = device_type
        self._enabled = enabled
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else _low_precision_dtype(dtype)

    def __enter__(self):
        self._previous = (state.enabled[self.device], state.dtype.get(self.device))
        state.enabled[self.device] = self._enabled
        state.dtype[self.device] = self.fast_dtype
        return self

    def __exit__(self, *exc):
        enabled, dtype = self._previous
        state.enabled[self.device] = enabled
        if dtype is None:
            state.dtype.pop(self.device, None)
        else:
            state.dtype[self.device] = dtype

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)

        return wrapper


def _castable(t):
    """A floating tensor other than float64 (torch's `is_eligible`) on a device where autocast is on."""
    return (
        t is not None
        and hasattr(t, "_data")
        and state.enabled.get(t.device.type, False)
        and t.is_floating_point()
        and t.dtype is not _dtype.float64
    )


def low_precision(*tensors):
    """Inputs of matmul-like ops: floating tensors in the autocast dtype of their device."""
    if not (state.enabled["cpu"] or state.enabled["cuda"]):
        return tensors
    return tuple(t.to(state.dtype[t.device.type]) if _castable(t) else t for t in tensors)


def _widened(t):
    return t.to(_dtype.float32) if _castable(t) and t.dtype is not _dtype.float32 else t


def full_precision(*tensors):
    """Inputs of ops on torch's float32 list for every device (the losses): float32."""
    if not (state.enabled["cpu"] or state.enabled["cuda"]):
        return tensors
    return tuple(_widened(t) for t in tensors)


def full_precision_on_cuda(*tensors):
    """Inputs of ops that torch's CUDA autocast runs in float32 and its CPU autocast leaves alone."""
    if not state.enabled["cuda"]:
        return tensors
    return tuple(_widened(t) if t is not None and t.device.type == "cuda" else t for t in tensors)


def custom_fwd(fwd=None, *, device_type="cuda", cast_inputs=None):
    """torch.amp.custom_fwd: with cast_inputs, floating tensor arguments are cast and autocast is off inside."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    if cast_inputs is None:
        return fwd

    @functools.wraps(fwd)
    def decorated(*args, **kwargs):
        if not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        cast = [a.to(cast_inputs) if _castable(a) else a for a in args]
        with autocast(device_type, enabled=False):
            return fwd(*cast, **kwargs)

    return decorated


def custom_bwd(bwd=None, *, device_type="cuda"):
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
