"""autocast: matmul/linear/conv run in low precision, softmax/reductions/losses in float32, as torch's
autocast op lists say. Ops call `low_precision(...)` or `full_precision(...)` on their inputs."""
import functools

from .. import _dtype

_DEFAULT_DTYPES = {"cpu": "bfloat16", "cuda": "float16"}


class _State:
    enabled = False
    dtype = None
    device_type = None


state = _State()


def is_autocast_enabled(device_type=None):
    return state.enabled and (device_type is None or device_type == state.device_type)


def get_autocast_dtype(device_type):
    if state.enabled and state.device_type == device_type:
        return state.dtype
    return _resolve(_DEFAULT_DTYPES.get(device_type, "float16"))


def _resolve(d):
    dt = _dtype.as_dtype(d) if not isinstance(d, str) or d != "bfloat16" else _dtype.bfloat16
    if dt is None:
        raise RuntimeError("autocast with dtype=bfloat16 needs the ml_dtypes package (pip install ml_dtypes), "
                           "or pass dtype=torch.float16")
    if dt not in (_dtype.float16, _dtype.bfloat16):
        raise RuntimeError(f"autocast: dtype must be torch.float16 or torch.bfloat16, got {dt}")
    return dt


class autocast:
    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
        if device_type not in ("cpu", "cuda"):
            raise RuntimeError(f"autocast: device_type must be 'cpu' or 'cuda', got {device_type!r}")
        self.device_type = device_type
        self.enabled = enabled
        self.fast_dtype = _resolve(dtype if dtype is not None else _DEFAULT_DTYPES[device_type]) if enabled else None

    def __enter__(self):
        self._prev = (state.enabled, state.dtype, state.device_type)
        if self.enabled:
            state.enabled, state.dtype, state.device_type = True, self.fast_dtype, self.device_type
        else:
            state.enabled = False
        return self

    def __exit__(self, *exc):
        state.enabled, state.dtype, state.device_type = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device_type, self.fast_dtype, self.enabled):
                return fn(*args, **kwargs)
        return wrapper


def _applies(t):
    return hasattr(t, "_data") and t._data.dtype.kind == "f" and t.device.type == state.device_type


def low_precision(*tensors):
    """Inputs of matmul-like ops under autocast: cast floating tensors to the autocast dtype."""
    if not state.enabled:
        return tensors
    return tuple(t.to(state.dtype) if t is not None and _applies(t) and t.dtype is not state.dtype else t
                 for t in tensors)


def full_precision(*tensors):
    """Inputs of precision-sensitive ops (softmax, norms, losses) under autocast: float32."""
    if not state.enabled:
        return tensors
    return tuple(t.to(_dtype.float32) if t is not None and _applies(t) and t.dtype in (_dtype.float16, _dtype.bfloat16)
                 else t for t in tensors)


def custom_fwd(fwd=None, *, device_type="cuda", cast_inputs=None):
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type="cuda"):
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
