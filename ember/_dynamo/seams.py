"""The seam between ember's code and ember.compile's recorder, importable from anywhere in ember.

While a compiled function records a call (ember/_dynamo/capture.py), `recorder` is that recorder; otherwise
None. Functions decorated `@replayed_as_one_call` are recorded as one call and called again, with the
replayed values, when the recording is replayed: array kernels whose work is done outside an Op's forward
(random draws, pooling windows, batch statistics) and Python-level state updates (optimizer steps,
zero_grad, learning-rate schedules), which a replay must run as they are.
"""
import functools
import threading
from typing import Any, Callable, TypeVar

recorder = None

F = TypeVar("F", bound=Callable[..., Any])


def replayed_as_one_call(fn: F) -> F:       # typed so that the decorated method keeps its signature for mypy
    @functools.wraps(fn)
    def call(*args, **kwargs):
        rec = recorder
        if rec is None or rec.depth or rec.thread != threading.get_ident():
            return fn(*args, **kwargs)
        return rec.record_call(fn, args, kwargs)
    call.__wrapped_for_compile__ = fn
    return call  # type: ignore[return-value]
