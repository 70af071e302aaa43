"""`import torch` means ember: an import hook mapping torch, torch.*, torchvision, torchvision.* to ember.

Installed by `import ember.as_torch` (or `ember.install_torch_alias()`) and by `ember run-torch prog.py`.
The aliases are ember's own module objects
(`torch.nn is ember.nn`), so isinstance checks and pickles (which name ember's classes) stay consistent.
A torch module ember does not have (torch.onnx, torch._dynamo, torchvision.ops ...) imports as a module
whose attributes raise NotImplementedError naming what is missing: a program that imports it for an
optional path still runs, and one that uses it stops with a clear message.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

_ROOTS = {"torch": "ember", "torchvision": "ember.vision"}


def ember_name(fullname):
    """The ember module behind a torch name ('torch.nn.functional' -> 'ember.nn.functional'), or None."""
    root, _, rest = fullname.partition(".")
    if root not in _ROOTS:
        return None
    return _ROOTS[root] + ("." + rest if rest else "")


class MissingModule(types.ModuleType):
    """A torch module ember does not have: importing it works, using it raises NotImplementedError."""

    def __init__(self, name, reason):
        super().__init__(name, f"ember has no {name} ({reason}); using it raises NotImplementedError")
        self.__ember_missing__ = reason

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):  # introspection (hasattr, copy, doctest) stays quiet
            raise AttributeError(attr)
        raise NotImplementedError(
            f"{self.__name__}.{attr}: ember has no {self.__name__} "
            f"({self.__ember_missing__}); this program path needs real PyTorch"
        )


def _namespace_module(name, obj):
    """A module holding the public attributes of a namespace object (ember.cuda.amp is a class)."""
    module = types.ModuleType(name, getattr(obj, "__doc__", None))
    module.__dict__.update({k: getattr(obj, k) for k in dir(obj) if not k.startswith("__")})
    return module


def _load(alias, target):
    """The module for `alias`: ember's module `target`, a namespace class's module, or a MissingModule."""
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        if e.name is None or not (target == e.name or target.startswith(e.name + ".")):
            raise  # something ember's module itself imports is missing (Pillow ...): say so
    parent_name, _, last = target.rpartition(".")
    namespace = getattr(sys.modules.get(parent_name), last, None)
    if isinstance(namespace, type) and namespace.__module__ == parent_name and namespace.__name__ == last:
        return _namespace_module(alias, namespace)
    return MissingModule(alias, "not implemented in ember")


_ALIASED = set()  # the torch names this hook has put in sys.modules


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        _ALIASED.add(spec.name)
        module = _load(spec.name, self.target)
        self.own_spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        """ember's module is already executed by its own import; importlib has just replaced its __spec__ with
        the alias's, so put ember's back (importlib.util.find_spec('ember') and reload read it)."""
        if self.own_spec is not None:
            module.__spec__ = self.own_spec


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves torch/torchvision imports to ember's modules; first on sys.meta_path while installed."""

    def find_spec(self, fullname, path=None, target=None):
        ember_target = ember_name(fullname)
        if ember_target is None:
            return None
        # every alias is a package, so that `import torch.cuda.amp` reaches this finder (ember.cuda is a module)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(ember_target), is_package=True)


_FINDER = TorchAliasFinder()


class _InstallInChild:
    """Rides in multiprocessing's spawn/forkserver preparation data: unpickling it in the child process
    installs the alias before the child re-imports the main program (whose `import torch` needs it)."""

    def __reduce__(self):
        return (install, ())


class _PreparationHook:
    """multiprocessing.spawn.get_preparation_data, adding an _InstallInChild."""

    def __init__(self, original):
        self.original = original

    def __call__(self, name):
        data = self.original(name)
        data["ember_torch_alias"] = _InstallInChild()
        return data


def install():
    """Map torch/torchvision imports to ember (idempotent). Raises RuntimeError when real torch is loaded."""
    loaded = [m for m in ("torch", "torchvision") if m in sys.modules and m not in _ALIASED]
    if loaded:
        raise RuntimeError(
            f"ember.as_torch: {' and '.join(loaded)} (real PyTorch) is already imported in this "
            "process, so `import torch` can no longer mean ember; install the alias before any "
            "torch import (restart the notebook kernel, put `import ember.as_torch` first)"
        )
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    import multiprocessing.spawn as spawn

    if not isinstance(spawn.get_preparation_data, _PreparationHook):
        spawn.get_preparation_data = _PreparationHook(spawn.get_preparation_data)


def uninstall():
    """Undo install(): later imports of torch find real PyTorch (the aliases made so far are dropped)."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    import multiprocessing.spawn as spawn

    if isinstance(spawn.get_preparation_data, _PreparationHook):
        spawn.get_preparation_data = spawn.get_preparation_data.original
    for name in _ALIASED:
        sys.modules.pop(name, None)
    _ALIASED.clear()


def is_installed():
    return _FINDER in sys.meta_path


def run_path(path, argv=()):
    """Run a program file as `python path argv...` would, with the alias installed."""
    import os
    import runpy

    install()
    sys.argv = [path, *argv]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    runpy.run_path(path, run_name="__main__")


def run_module(name, argv=()):
    """Run a module as `python -m name argv...` would, with the alias installed."""
    import runpy

    install()
    sys.argv = [name, *argv]
    sys.path.insert(0, "")
    runpy.run_module(name, run_name="__main__", alter_sys=True)
