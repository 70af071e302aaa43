"""torch._dynamo: ember.compile's machinery (reset, explain, config, exc) — see eval_frame.compile.

The recorder's seam (seams.py) is imported by ember's ops at import time; everything else here loads on
first use.
"""

import importlib as _importlib

_LAZY = {
    "reset": ("eval_frame", "reset"),
    "is_compiling": ("eval_frame", "is_compiling"),
    "OptimizedModule": ("eval_frame", "OptimizedModule"),
    "explain": ("debugging", "explain"),
    "disable": ("eval_frame", "disable"),
    "list_backends": ("eval_frame", "list_backends"),
    "allow_in_graph": ("eval_frame", "disable"),
    "mark_dynamic": ("eval_frame", "mark_dynamic"),
    "mark_static": ("eval_frame", "mark_static"),
}
_SUBMODULES = ("config", "exc", "eval_frame", "capture", "program", "seams", "debugging")


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module("." + name, __name__)
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(_importlib.import_module("." + module, __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember._dynamo' has no attribute '{name}'")
