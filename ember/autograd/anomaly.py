"""Anomaly mode: name the first op whose forward or backward makes NaN/inf, at the user's source line."""
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


def _bad(arr):
    return arr.dtype.kind == "f" and not bool(np.isfinite(np.asarray(arr)).all())


def note_forward(node, outputs, input_arrays):
    node._created_at = _user_frame()
    if any(_bad(a) for a in input_arrays if hasattr(a, "dtype")):
        return      # the anomaly came from upstream: it was reported there, or is the user's data
    for j, t in enumerate(outputs):
        if _bad(t._data):
            raise RuntimeError(f"Function '{node.name()}' produced nan/inf values in its output {j} "
                                   f"during forward. The op was called at:\n  {node._created_at}")


def check_backward(node, result):
    """Raise if a backward returned NaN/inf (its gradients: arrays, or Tensors under create_graph)."""
    for i, g in enumerate(result):
        arr = getattr(g, "_data", g)
        if hasattr(arr, "dtype") and _bad(arr):
            where = getattr(node, "_created_at", "<recorded before anomaly mode was enabled>")
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output. "
                               f"The forward call that created it was:\n  {where}")


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = state.anomaly
        state.anomaly = self.check_nan

    def __exit__(self, *exc):
        state.anomaly = self._prev

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self._prev = state.anomaly
        state.anomaly = bool(mode) and check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.anomaly = self._prev


def is_anomaly_enabled():
    return state.anomaly
