"""Completeness of ember's Tensor and torch namespaces against torch's own dir(), so the lists cannot drift: every
public name of torch.Tensor and of torch either exists in ember and is exercised by a test (the word appears in
a test file: the op tables, tests/test_tensor_methods.py, ...), or is in ember/_not_implemented.py with its
reason, and then using it raises NotImplementedError naming it and the reason. (nn, nn.functional, nn.init,
optim and lr_scheduler: tests/nn/test_completeness.py.)"""

import inspect
import pathlib
import re
import types

import pytest

import ember
from ember import _not_implemented as NI
from oracle import torch

# names in torch's namespace that are not torch's API: modules torch imports for itself, and build flags
NOT_API = {
    "builtins",
    "ctypes",
    "functools",
    "glob",
    "importlib",
    "inspect",
    "math",
    "os",
    "platform",
    "sys",
    "textwrap",
    "threading",
    "types",
    "warnings",
    "torch",
    "TYPE_CHECKING",
    "USE_GLOBAL_DEPS",
    "USE_RTLD_GLOBAL_WITH_LIBTORCH",
    "PRIVATE_OPS",
}

TENSOR_NAMES = sorted(n for n in dir(torch.Tensor) if not n.startswith("_"))
TORCH_NAMES = sorted(n for n in dir(torch) if not n.startswith("_") and n not in NOT_API)
TORCH_NI = {**NI.TORCH_FUNCTIONS, **NI.TORCH_CLASSES, **NI.TORCH_MODULES, **NI.TORCH_VALUES}

_TESTS = pathlib.Path(__file__).parent
_WORDS = set(
    re.findall(
        r"[A-Za-z_][A-Za-z_0-9]*",
        " ".join(p.read_text() for p in _TESTS.rglob("*.py") if p.resolve() != pathlib.Path(__file__).resolve()),
    )
)


def _stub_reason(obj):
    return getattr(obj, "__ember_not_implemented__", None)


def _raises_naming(fn, qualname, reason):
    with pytest.raises(NotImplementedError) as info:
        fn()
    assert qualname in str(info.value) and reason in str(info.value), str(info.value)


@pytest.mark.parametrize("name", TENSOR_NAMES)
def test_tensor_name_is_implemented_or_says_why_not(name):
    x = ember.zeros(2, 2)
    if name in NI.TENSOR:
        reason = NI.TENSOR[name]
        method = getattr(x, name)
        assert _stub_reason(method) == reason, f"Tensor.{name} is implemented now: take it off the table"
        _raises_naming(method, f"Tensor.{name}", reason)
        _raises_naming(lambda: method(1, key=2), f"Tensor.{name}", reason)
        return
    assert hasattr(ember.Tensor, name), f"ember lacks Tensor.{name} (implement it or list it in _not_implemented)"
    assert _stub_reason(getattr(ember.Tensor, name)) is None
    assert name in _WORDS, f"Tensor.{name} is implemented but no test uses it: add an oracle test"


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_torch_name_is_implemented_or_says_why_not(name):
    if name in TORCH_NI:
        reason = TORCH_NI[name]
        if name in NI.TORCH_VALUES:
            _raises_naming(lambda: getattr(ember, name), f"torch.{name}", reason)
            return
        obj = getattr(ember, name)
        if name in NI.TORCH_MODULES:
            assert isinstance(obj, types.ModuleType) and getattr(obj, "__ember_missing__", None) == reason, (
                f"torch.{name} is implemented now: take it off the table"
            )
            with pytest.raises(NotImplementedError, match=re.escape(reason)):
                _ = obj.anything
            return
        assert _stub_reason(obj) == reason, f"torch.{name} is implemented now: take it off the table"
        _raises_naming(obj, f"torch.{name}", reason)
        return
    assert hasattr(ember, name), f"ember lacks torch.{name} (implement it or list it in _not_implemented)"
    obj = getattr(ember, name)
    assert _stub_reason(obj) is None and getattr(obj, "__ember_missing__", None) is None
    assert name in _WORDS, f"torch.{name} is implemented but no test uses it: add an oracle test"


def test_the_table_lists_only_names_torch_has():
    """A name torch drops leaves the table, so that the table stays the list of what ember lacks."""
    assert sorted(set(NI.TENSOR) - set(TENSOR_NAMES)) == []
    assert sorted(set(TORCH_NI) - set(TORCH_NAMES)) == []


def test_stubs_never_return():
    for name in NI.TENSOR:
        with pytest.raises(NotImplementedError):
            getattr(ember.ones(1), name)(ember.ones(1))
    for name in {**NI.TORCH_FUNCTIONS, **NI.TORCH_CLASSES}:
        with pytest.raises(NotImplementedError):
            getattr(ember, name)(ember.ones(1), dim=0)


def test_a_missing_submodule_imports():
    """A program that imports a torch module ember lacks for an optional path still starts."""
    from ember import fx, profiler  # noqa: F401

    assert inspect.ismodule(fx)


def _coverage(names, table):
    implemented = [n for n in names if n not in table]
    return len(implemented), len(names)


def test_coverage_targets():
    """>= 95% of torch.Tensor's public names implemented; the torch namespace at least where it is now (the rest, mostly
    TorchScript, quantization and vendor-kernel internals, is in the table with reasons)."""
    tensor, tensor_total = _coverage(TENSOR_NAMES, NI.TENSOR)
    namespace, namespace_total = _coverage(TORCH_NAMES, TORCH_NI)
    assert tensor / tensor_total >= 0.95, f"Tensor: {tensor}/{tensor_total}"
    assert namespace / namespace_total >= 0.72, f"torch: {namespace}/{namespace_total}"
