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
    spec = importlib.util.spec_from_file_location(
        "_coverage_" + relative.replace("/", "_")[:-3], os.path.join(TESTS, relative)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


test_tensor = _table_module("test_tensor.py")
test_views = _table_module("test_views.py")
test_activation = _table_module("nn/test_linear_activation.py")
test_loss = _table_module("nn/test_loss.py")
test_norm = _table_module("nn/test_norm.py")
test_methods = _table_module("test_tensor_methods.py")
test_namespace = _table_module("test_torch_namespace.py")

# Python operators -> the registered op they run
DUNDER_OPS = {
    "__add__": "add",
    "__radd__": "add",
    "__iadd__": "add_",
    "__sub__": "sub",
    "__rsub__": "rsub",
    "__isub__": "sub_",
    "__mul__": "mul",
    "__rmul__": "mul",
    "__imul__": "mul_",
    "__truediv__": "div",
    "__rtruediv__": "div",
    "__itruediv__": "div_",
    "__floordiv__": "floor_divide",
    "__rfloordiv__": "floor_divide",
    "__mod__": "remainder",
    "__rmod__": "remainder",
    "__pow__": "pow",
    "__rpow__": "pow",
    "__matmul__": "matmul",
    "__rmatmul__": "matmul",
    "__and__": "bitwise_and",
    "__rand__": "bitwise_and",
    "__or__": "bitwise_or",
    "__ror__": "bitwise_or",
    "__xor__": "bitwise_xor",
    "__rxor__": "bitwise_xor",
    "__neg__": "neg",
    "__abs__": "abs",
    "__invert__": "bitwise_not",
    "__eq__": "eq",
    "__ne__": "ne",
    "__lt__": "lt",
    "__le__": "le",
    "__gt__": "gt",
    "__ge__": "ge",
}

# ops without an oracle row, each with the reason
NO_ORACLE_ROW = {
    # random sampling: ember's generator is not torch's bit stream; tests/test_tensor.py checks shapes,
    # dtypes and moments
    **{
        name: "random: not torch's bit stream"
        for name in (
            "rand",
            "randn",
            "randint",
            "randperm",
            "normal",
            "bernoulli",
            "multinomial",
            "rand_like",
            "randn_like",
            "randint_like",
            "uniform_",
            "normal_",
            "bernoulli_",
            "exponential_",
            "geometric_",
            "log_normal_",
            "cauchy_",
            "random_",
            "dropout",
            "alpha_dropout",
            "feature_alpha_dropout",
        )
    },
    "cuda": "needs a GPU; tests/test_device.py checks the error without one and the device runs with one",
    **{
        name: "random-state API, no values to compare"
        for name in ("manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state")
    },
    **{
        name: "random: not torch's bit stream; tests/test_torch_namespace.py checks the train flag and the "
        "distribution drawn"
        for name in (
            "alpha_dropout_",
            "dropout_",
            "feature_alpha_dropout_",
            "feature_dropout",
            "feature_dropout_",
            "native_dropout",
            "binomial",
            "poisson",
            "pca_lowrank",
            "svd_lowrank",
        )
    },
    **{
        name: "memory, metadata or callback API without values to differentiate: compared with torch in "
        "tests/test_tensor_methods.py and tests/test_torch_namespace.py"
        for name in (
            "__dlpack__",
            "__dlpack_device__",
            "const_data_ptr",
            "dim_order",
            "get_device",
            "is_distributed",
            "is_nonzero",
            "is_pinned",
            "is_same_size",
            "is_set_to",
            "is_shared",
            "is_signed",
            "pin_memory",
            "record_stream",
            "storage",
            "storage_type",
            "untyped_storage",
            "set_",
            "share_memory_",
            "as_subclass",
            "apply_",
            "map_",
            "map2_",
            "module_load",
            "resize",
            "resize_as",
            "detach",
            "detach_",
            "xpu",
            "ipu",
            "mtia",
            "new_empty_strided",
            "empty_strided",
            "empty_permuted",
            "fill",
            "scalar_tensor",
            "asarray",
            "from_dlpack",
            "to_dlpack",
            "from_file",
            "frombuffer",
            "unravel_index",
        )
    },
    **{
        name: "sparse COO API (dense-backed): compared with torch in tests/test_tensor_methods.py and "
        "tests/test_torch_namespace.py"
        for name in (
            "_indices",
            "_nnz",
            "_values",
            "dense_dim",
            "sparse_dim",
            "indices",
            "indices_copy",
            "values_copy",
            "is_coalesced",
            "sparse_mask",
            "to_sparse",
            "to_sparse_coo",
            "smm",
            "sspaddmm",
        )
    },
    **{
        name: "a window (no tensor input): tests/test_torch_namespace.py::test_window_functions_match_torch"
        for name in ("bartlett_window", "blackman_window", "hamming_window", "kaiser_window")
    },
    **{
        name: "removed from torch: raises torch's error (tests/test_tensor_methods.py)"
        for name in ("eig", "lstsq", "solve", "symeig", "reinforce")
    },
    **{
        name: "control flow and symbolic-int helpers: tests/test_torch_namespace.py::"
        "test_control_flow_and_sym_helpers_match_torch"
        for name in (
            "sym_float",
            "sym_int",
            "sym_ite",
            "sym_max",
            "sym_min",
            "sym_not",
            "sym_sqrt",
            "sym_sum",
            "cond",
            "while_loop",
        )
    },
    "chain_matmul": "tests/test_torch_namespace.py::test_chain_matmul_matches_torch (values and gradients)",
    "histogramdd": "tests/test_torch_namespace.py::test_histogramdd_matches_torch (not differentiable)",
    "gradient": "tests/test_torch_namespace.py::test_gradient_matches_torch",
    "embedding": "ATen's torch.embedding(weight, indices): tests/test_torch_namespace.py, nn/test_linear_activation.py",
    "embedding_renorm_": "tests/test_torch_namespace.py::test_embedding_renorm_matches_torch",
    "ctc_loss": "tests/nn/test_ctc_loss.py compares values and gradients with torch",
    "geqrf": "Householder form is LAPACK's: tests/test_torch_namespace.py and tests/test_return_types.py",
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
    for _name, fn, shapes, opts in op_table.ROWS + test_activation.ACTIVATIONS:
        yield fn, (shapes(np.float64) if callable(shapes) else _uniform(shapes, opts))
    for _name, fn, shapes, opts in test_loss.LOSSES:
        yield (lambda T, *xs, fn=fn: fn(T, "mean", *xs)), _uniform(shapes, opts)
    for _name, (fn, shapes) in test_norm.FUNCTIONAL.items():
        yield fn, _uniform(shapes, {})
    for _name, fn in test_tensor.CREATION:
        yield fn, []
    for _name, fn in test_views.VIEWS:
        yield (lambda T, fn=fn: fn(T, test_views._base(T))), []
    for _name, fn, arrays in test_oracle.NO_GRAD_ROWS:
        yield fn, arrays()
    for a, b, op in test_oracle.PROMOTION:
        yield (lambda T, a=a, b=b, op=op: getattr(T, op)(test_oracle._tensors(T, a), test_oracle._tensors(T, b))), []
    for _name, fn, arrays, _grad in test_nan_and_edges.CASES:
        yield fn, arrays
    for _name, fn, array in test_nan_and_edges.SPECIAL_GRADIENTS:
        yield fn, [array]
    for _name, fn in test_result_dtypes.CASES:
        yield fn, []
    if "bfloat16" not in NO_ORACLE_ROW:
        for _name, fn in test_result_dtypes.BFLOAT16_CASES:
            yield fn, []
    yield from _method_and_namespace_rows()
    for _name, fn in test_accumulation.REDUCTIONS:
        yield (lambda T, fn=fn: fn(T, T.tensor(test_accumulation.X), T.tensor(test_accumulation.Y))), []


def _method_and_namespace_rows():
    """The rows of tests/test_tensor_methods.py and tests/test_torch_namespace.py (compared with torch there)."""
    m = test_methods
    for name, (low, high) in m.UNARY_INPLACE:
        yield m._inplace(name), _uniform([(3, 4)], {"low": low, "high": high})
    for name, others, (low, high), args, _grad in m.BINARY_INPLACE:
        yield m._binary(name, args), _uniform([(3, 4)] + others, {"low": low, "high": high})
    for name, args in m.SCALAR_ARG_INPLACE:
        yield m._inplace(name, *args), _uniform([(3, 1, 4) if name == "squeeze_" else (3, 4)], {"low": 1.1, "high": 2})
    for name, shapes in m.MATRIX_INPLACE:
        yield m._matrix(name), _uniform(shapes, {"low": 0.5, "high": 2.0})
    for _name, fn, shapes in m.INDEX_INPLACE:
        yield m._on_a_non_leaf(fn), _uniform(shapes, {})
    for _name, fn in m.INTEGER_INPLACE:
        yield (lambda T, a, b, fn=fn: fn(T, a.clone(), b)), [m._ints(1, -9, 10), m._ints(2, -9, 70)]
    for _name, fn, shapes in m.OUT_OF_PLACE + test_namespace.ATEN:
        yield fn, _uniform(shapes, {})
    for _name, fn in m.NO_GRAD:
        yield fn, [m._ints(3), m._ints(4, 1, 5)]
    for _name, fn in test_namespace.COPIES:
        yield fn, _uniform([(3, 4)], {})


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
    missing = sorted(
        name
        for name in set(FUNCTIONS) | set(METHODS)
        if name not in covered and name not in NO_ORACLE_ROW and not (_made_by_inplace(name) and name[:-1] in covered)
    )
    assert not missing, f"{len(missing)} registered ops without an oracle row or a reason: {missing}"


def test_the_reasons_list_only_uncovered_registered_ops(covered):
    stale = sorted(name for name in NO_ORACLE_ROW if name in covered or name not in set(FUNCTIONS) | set(METHODS))
    assert not stale, f"listed without a row, but covered or not registered: {stale}"
