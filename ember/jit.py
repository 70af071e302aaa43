"""torch.jit: script and trace return the function or module itself, run eagerly by ember (same results).

TorchScript's serialized form is torch's own compiled IR, which ember cannot write or read: jit.save,
jit.load and freeze raise NotImplementedError. The decorators programs annotate code with are identities.
"""


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """The function or module unchanged: ember runs it eagerly, giving what the scripted version gives."""
    return obj


def trace(
    func,
    example_inputs=None,
    optimize=None,
    check_trace=True,
    check_inputs=None,
    check_tolerance=1e-5,
    strict=True,
    _force_outplace=False,
    _module_class=None,
    _compilation_unit=None,
    example_kwarg_inputs=None,
    _store_inputs=True,
):
    """Runs `func` once on the example inputs (as tracing does, so a failing forward fails here) and returns
    it unchanged: later calls run eagerly, also down branches the example did not take (a trace would not)."""
    from .autograd.grad_mode import no_grad

    if example_kwarg_inputs is not None:
        with no_grad():
            func(**example_kwarg_inputs)
    elif example_inputs is not None:
        with no_grad():
            func(*example_inputs) if isinstance(example_inputs, tuple) else func(example_inputs)
    return func


def trace_module(mod, inputs, **kwargs):
    for method, args in inputs.items():
        trace(getattr(mod, method), args)
    return mod


def _unsupported(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(
            f"torch.jit.{name}: ember has no TorchScript (compiled modules saved as "
            "TorchScript archives); save model.state_dict() with torch.save instead"
        )

    refuse.__name__ = name
    return refuse


save = _unsupported("save")
load = _unsupported("load")
freeze = _unsupported("freeze")
optimize_for_inference = _unsupported("optimize_for_inference")


def _identity_decorator(fn=None, **kwargs):
    return fn if fn is not None else _identity_decorator


ignore = unused = export = script_if_tracing = _script_if_tracing = interface = _identity_decorator


def is_scripting():
    return False


def is_tracing():
    return False


def annotate(the_type, the_value):
    return the_value


class Attribute:
    """torch.jit.Attribute(value, type): eager code sees the value itself."""

    def __new__(cls, value, type=None):
        return value


class Future:
    """The result of jit.fork: computed at once (ember runs one op at a time)."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value

    def done(self):
        return True

    def value(self):
        return self._value


def fork(func, *args, **kwargs):
    return Future(func(*args, **kwargs))


def wait(future):
    return future.wait()


Final = type("Final", (), {"__class_getitem__": classmethod(lambda cls, item: item)})
