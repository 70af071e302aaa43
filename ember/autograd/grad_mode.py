"""Whether operations record a graph: no_grad, enable_grad, set_grad_enabled, inference_mode."""
import functools


class _State:
    enabled = True
    anomaly = False


state = _State()


def is_grad_enabled():
    return state.enabled


class _GradModeContext:
    """Context manager and decorator that sets grad mode to `self.mode` and restores it on exit."""
    mode = None

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)() if type(self) is not set_grad_enabled else set_grad_enabled(self.mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    mode = False


class enable_grad(_GradModeContext):
    mode = True


class inference_mode(_GradModeContext):
    def __init__(self, mode=True):
        self.mode = not mode


class set_grad_enabled(_GradModeContext):
    """Usable as a function (takes effect at once, as torch) and as a context manager."""

    def __init__(self, mode):
        self._prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled = self._prev
