"""torch.xpu, torch.mps and torch.mtia on a machine that has none of them (ember never does): each reports no device,
its seeding calls do nothing (as torch's do without the device), and the calls that need the device raise torch's
error. Namespace classes: `import torch.xpu` makes a module of one (see _torch_alias)."""


def _needs_device(error, message):
    def call(*args, **kwargs):
        raise error(message)

    return staticmethod(call)


def _nothing(*args, **kwargs):
    return None


def _no_device_namespace(name, error, message, extra=()):
    attrs = {
        "__module__": "ember",
        "__doc__": f"torch.{name}: reports no device (ember has no {name} backend)",
        "is_available": staticmethod(lambda: False),
        "device_count": staticmethod(lambda: 0),
        "is_initialized": staticmethod(lambda: False),
        "manual_seed": staticmethod(_nothing),
        "manual_seed_all": staticmethod(_nothing),
        "seed": staticmethod(_nothing),
        "seed_all": staticmethod(_nothing),
    }
    for call in (
        "synchronize",
        "current_device",
        "set_device",
        "get_device_name",
        "get_device_properties",
        "get_device_capability",
        "memory_allocated",
        "max_memory_allocated",
        "get_rng_state",
        "set_rng_state",
        "current_stream",
        "init",
    ) + tuple(extra):
        attrs[call] = _needs_device(error, message)
    return type(name, (), attrs)


xpu = _no_device_namespace("xpu", AssertionError, "Torch not compiled with XPU enabled", ("empty_cache",))
xpu.empty_cache = staticmethod(_nothing)  # torch's empty_cache is a no-op before the device is initialised
mtia = _no_device_namespace("mtia", AssertionError, "Torch not compiled with MTIA enabled", ("empty_cache",))
mps = _no_device_namespace("mps", RuntimeError, "Cannot execute deviceSynchronize() without MPS backend.")
mps.empty_cache = _needs_device(RuntimeError, "Cannot execute emptyCache() without MPS backend.")
