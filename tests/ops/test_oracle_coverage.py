"""Every op registered with @torch_api has a torch-oracle row, or a written reason here.

The rows of the oracle tables are run once with ember's public surfaces (ember.<name>, Tensor.<name>, the
Python operators, nn.functional) wrapped by a recorder: an op counts as covered when a row itself calls
it, not when another op uses it inside. An in-place variant made by the registry (add_ from add)
counts as covered by its op.
"""
import functools
import importlib.util
import os
import sys

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.ops._registry import FUNCTIONS, METHODS

import op_table
import test_oracle
import test_nan_and_edges
import test_result_dtypes
import test_accumulation

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _table_module(relative):
    """A test module elsewhere in tests/, loaded by path for its oracle tables."""
    spec = importlib.util.spec_from_file_location("_coverage_" + relative.replace("/", "_")[:-3],
                                                  os.path.join(TESTS, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


test_tensor = _table_module("test_tensor.py")
test_views = _table_module("test_views.py")
test_activation = _table_module("nn/test_linear_activation.py")
test_loss = _table_module("nn/test_loss.py")
test_norm = _table_module("nn/test_norm.py")

# Python operators -> the registered op they run
DUNDER_OPS = {"__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub", "__rsub__": "rsub",
              "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_", "__truediv__": "div",
              "__rtruediv__": "div", "__itruediv__": "div_", "__floordiv__": "floor_divide",
              "__rfloordiv__": "floor_divide", "__mod__": "remainder", "__rmod__": "remainder",
              "__pow__": "pow", "__rpow__": "pow", "__matmul__": "matmul", "__rmatmul__": "matmul",
              "__and__": "bitwise_and", "__rand__": "bitwise_and", "__or__": "bitwise_or", "__ror__": "bitwise_or",
              "__xor__": "bitwise_xor", "__rxor__": "bitwise_xor", "__neg__": "neg", "__abs__": "abs",
              "__invert__": "bitwise_not", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le",
              "__gt__": "gt", "__ge__": "ge"}

# ops without an oracle row, each with the reason
NO_ORACLE_ROW = {
    # random sampling: ember's generator is not torch's bit stream; tests/test_tensor.py checks shapes,
    # dtypes and moments
    **{name: "random: not torch's bit stream" for name in (
        "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "rand_like", "randn_like",
        "randint_like", "uniform_", "normal_", "bernoulli_", "exponential_", "geometric_", "log_normal_",
        "cauchy_", "random_", "dropout", "alpha_dropout", "feature_alpha_dropout")},
    "cuda": "needs a GPU; tests/test_device.py checks the error without one and the device runs with one",
    **{name: "random-state API, no values to compare" for name in (
        "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state")},
}


if importlib.util.find_spec("ml_dtypes") is None:
    NO_ORACLE_ROW["bfloat16"] = "needs ml_dtypes (the [amp] extra), absent from this install"


def _recorder(name, fn, seen):
    @functools.wraps(fn)
    def call(*args, **kwargs):
        if sys._getframe(1).f_code.co_filename.startswith(TESTS):
            seen.add(name)
        return fn(*args, **kwargs)
    return call


def _unwrapped(fn):
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    return fn


def _uniform(shapes, opts):
    return [np.random.default_rng(0).uniform(opts.get("low", -2), opts.get("high", 2), s) for s in shapes]


def _rows():
    """(fn(T, *tensors), arrays) for every row of the oracle tables."""
    for name, fn, shapes, opts in op_table.ROWS + test_activation.ACTIVATIONS:
        yield fn, (shapes(np.float64) if callable(shapes) else _uniform(shapes, opts))
    for name, fn, shapes, opts in test_loss.LOSSES:
        yield (lambda T, *xs, fn=fn: fn(T, "mean", *xs)), _uniform(shapes, opts)
    for name, (fn, shapes) in test_norm.FUNCTIONAL.items():
        yield fn, _uniform(shapes, {})
    for name, fn in test_tensor.CREATION:
        yield fn, []
    for name, fn in test_views.VIEWS:
        yield (lambda T, fn=fn: fn(T, test_views._base(T))), []
    for name, fn, arrays in test_oracle.NO_GRAD_ROWS:
        yield fn, arrays()
    for a, b, op in test_oracle.PROMOTION:
        yield (lambda T, a=a, b=b, op=op: getattr(T, op)(test_oracle._tensors(T, a), test_oracle._tensors(T, b))), []
    for name, fn, arrays, grad in test_nan_and_edges.CASES:
        yield fn, arrays
    for name, fn, array in test_nan_and_edges.SPECIAL_GRADIENTS:
        yield fn, [array]
    for name, fn in test_result_dtypes.CASES:
        yield fn, []
    if "bfloat16" not in NO_ORACLE_ROW:
        for name, fn in test_result_dtypes.BFLOAT16_CASES:
            yield fn, []
    for name, fn in test_accumulation.REDUCTIONS:
        yield (lambda T, fn=fn: fn(T, T.tensor(test_accumulation.X), T.tensor(test_accumulation.Y))), []


@pytest.fixture(scope="module")
def covered():
    seen = set()
    mp = pytest.MonkeyPatch()
    registered = {}
    for name, fn in FUNCTIONS.items():
        if getattr(ember, name, None) is fn:
            mp.setattr(ember, name, _recorder(name, fn, seen))
            registered[_unwrapped(fn)] = name
    for name in METHODS:
        mp.setattr(ember.Tensor, name, _recorder(name, getattr(ember.Tensor, name), seen))
    for dunder, name in DUNDER_OPS.items():
        mp.setattr(ember.Tensor, dunder, _recorder(name, getattr(ember.Tensor, dunder), seen))
    for attr in dir(F):
        fn = getattr(F, attr)
        if callable(fn) and _unwrapped(fn) in registered:
            mp.setattr(F, attr, _recorder(registered[_unwrapped(fn)], fn, seen))
    try:
        for fn, arrays in _rows():
            fn(ember, *[ember.tensor(a) for a in arrays])
    finally:
        mp.undo()
    return seen


def _made_by_inplace(name):
    fn = METHODS.get(name)
    return name.endswith("_") and fn is not None and fn.__qualname__.endswith("_") and hasattr(fn, "__wrapped__")


def test_every_registered_op_has_an_oracle_row_or_a_reason(covered):
    missing = sorted(name for name in set(FUNCTIONS) | set(METHODS)
                     if name not in covered and name not in NO_ORACLE_ROW
                     and not (_made_by_inplace(name) and name[:-1] in covered))
    assert not missing, f"{len(missing)} registered ops without an oracle row or a reason: {missing}"


def test_the_reasons_list_only_uncovered_registered_ops(covered):
    stale = sorted(name for name in NO_ORACLE_ROW if name in covered or name not in set(FUNCTIONS) | set(METHODS))
    assert not stale, f"listed without a row, but covered or not registered: {stale}"
