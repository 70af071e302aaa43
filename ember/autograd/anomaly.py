"""Anomaly mode, as torch's: ops remember the user's source line that called them, and a backward function
that returns NaN is named with that line. ember can also check forwards (`check_forward=True`): the first op
whose output has NaN/inf that its inputs did not is named there (torch has no such check, so it is opt-in)."""

import traceback
import os

import numpy as np

from .grad_mode import state

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_frame():
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'
    return "<unknown location>"


class _Settings:
    check_nan = True  # backward: raise when a backward function returns NaN (torch's check)
    check_forward = False  # forward: raise when an op's output has NaN/inf (ember's opt-in check)


settings = _Settings()


def _host(arr):
    return arr if isinstance(arr, np.ndarray) else arr.get()


def _bad(arr):
    return arr.dtype.kind == "f" and not bool(np.isfinite(_host(arr)).all())


def _has_nan(arr):
    return arr.dtype.kind in "fc" and bool(np.isnan(_host(arr)).any())


def note_forward(node, outputs, input_arrays):
    node._created_at = _user_frame()
    if not settings.check_forward:
        return
    if any(_bad(a) for a in input_arrays if hasattr(a, "dtype")):
        return  # the anomaly came from upstream: it was reported there, or is the user's data
    for j, t in enumerate(outputs):
        if _bad(t._data):
            raise RuntimeError(
                f"Function '{node.name()}' produced nan/inf values in its output {j} "
                f"during forward. The op was called at:\n  {node._created_at}"
            )


def check_backward(node, result):
    """Raise if a backward returned NaN (its gradients: arrays, or Tensors under create_graph), as torch."""
    if not settings.check_nan:
        return
    for i, g in enumerate(result):
        arr = getattr(g, "_data", g)
        if hasattr(arr, "dtype") and _has_nan(arr):
            where = getattr(node, "_created_at", "<recorded before anomaly mode was enabled>")
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output. "
                f"The forward call that created it was:\n  {where}"
            )


def _current():
    return state.anomaly, settings.check_nan, settings.check_forward


def _set(mode, check_nan, check_forward):
    state.anomaly, settings.check_nan, settings.check_forward = bool(mode), bool(check_nan), bool(check_forward)


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly mode on, as torch.autograd.detect_anomaly.

    check_forward (ember only): also raise at the first op whose forward output has NaN/inf."""

    def __init__(self, check_nan=True, *, check_forward=False):
        self.check_nan, self.check_forward = check_nan, check_forward

    def __enter__(self):
        self._prev = _current()
        _set(True, self.check_nan, self.check_forward)

    def __exit__(self, *exc):
        _set(*self._prev)

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan, check_forward=self.check_forward):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Set anomaly mode on or off, as a function call or a context manager that restores it."""

    def __init__(self, mode, check_nan=True, *, check_forward=False):
        self._prev = _current()
        _set(mode, check_nan, check_forward)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set(*self._prev)


def is_anomaly_enabled():
    return state.anomaly


def is_anomaly_check_nan_enabled():
    return settings.check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    """torch.set_anomaly_enabled: anomaly mode on or off, without restoring it afterwards."""
    _set(enabled, check_nan, settings.check_forward if enabled else False)
