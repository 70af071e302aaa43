"""ember.utils: tools around the tensor core (data loading, ...).

Subpackages load on first use, so `import ember` stays light.
"""

import importlib

_SUBMODULES = ("data", "tensorboard", "checkpoint", "dlpack")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
