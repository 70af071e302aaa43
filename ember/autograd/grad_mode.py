"""Whether operations record a graph: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each is a context manager and a decorator, as torch's: a decorated function runs in the mode, and so
does each resumption of a decorated generator (the caller's mode is back at every yield).
"""

import functools
import inspect
import warnings


class _State:
    enabled = True
    anomaly = False


state = _State()


def is_grad_enabled():
    return state.enabled


class _GradModeContext:
    """Sets grad mode to `self.mode` on entry and restores the caller's on exit."""

    mode = None

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self._prev

    def clone(self):
        return type(self)()

    def __call__(self, fn):
        if inspect.isclass(fn):
            warnings.warn(
                "Decorating classes is deprecated and will be disabled in future versions. You should only "
                "decorate functions or methods. To preserve the current behavior of class decoration, you "
                "can directly decorate the `__init__` method and nothing else.",
                FutureWarning,
                stacklevel=2,
            )
            cls = fn
            fn = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731 - constructed in the mode, as torch
        if not callable(fn):
            raise TypeError(f"{type(self).__name__} can decorate a function, not a {type(fn).__name__}")
        if inspect.isgeneratorfunction(fn):
            return _in_mode_at_every_resume(self.clone, fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper


def _in_mode_at_every_resume(make_context, generator_function):
    """A generator function whose body runs in the mode; its caller runs in its own between resumptions."""

    @functools.wraps(generator_function)
    def generator(*args, **kwargs):
        gen = generator_function(*args, **kwargs)
        send, value = gen.send, None
        while True:
            try:
                with make_context():
                    item = send(value)
            except StopIteration as stop:
                return stop.value
            try:
                value = yield item
                send = gen.send
            except GeneratorExit:
                with make_context():
                    gen.close()
                raise
            except BaseException as thrown:  # noqa: B036 - thrown into us: pass it to the generator
                value = thrown
                send = gen.throw

    return generator


class _NoParamContext(_GradModeContext):
    """Usable as @no_grad() and as @no_grad, as torch."""

    def __new__(cls, fn=None):
        if fn is None:
            return super().__new__(cls)
        return cls()(fn)


class no_grad(_NoParamContext):
    mode = False


class enable_grad(_NoParamContext):
    mode = True


class _InferenceState:
    enabled = False


inference_state = _InferenceState()  # read by torch.is_inference_mode_enabled()


class inference_mode(_GradModeContext):
    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # used bare, @inference_mode: `mode` is the function

    def __init__(self, mode=True):
        self.mode = not mode
        self._arg = mode

    def __enter__(self):
        super().__enter__()
        self._prev_inference, inference_state.enabled = inference_state.enabled, bool(self._arg)

    def __exit__(self, *exc):
        inference_state.enabled = self._prev_inference
        super().__exit__(*exc)

    def clone(self):
        return type(self)(self._arg)


class set_grad_enabled(_GradModeContext):
    """Usable as a function (takes effect at once, as torch), a context manager and a decorator."""

    def __init__(self, mode):
        self._prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __call__(self, fn):
        state.enabled = self._prev  # as a decorator it changes nothing until the function runs
        return super().__call__(fn)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled = self._prev

    def clone(self):
        return set_grad_enabled(self.mode)

    def __repr__(self):
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.mode})"
