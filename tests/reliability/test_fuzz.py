"""Hypothesis fuzzing of ember against torch: random shapes (0-size dims, scalars), broadcasting, dtypes and
edge values (huge/tiny, inf, NaN, -0.0) through elementwise ops, reductions, matmul, indexing, cat/stack and
type promotion. Each case compares shape, dtype, values (NaN positions included) and that both libraries
raise or neither does. Every mismatch the fuzzer found is pinned as a plain regression case in
REGRESSIONS."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember

FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

FLOATS = ["float16", "float32", "float64"]
INTS = ["int32", "int64", "uint8"]
DTYPES = FLOATS + INTS + ["bool"]
TOL = {
    "float16": dict(rtol=2e-3, atol=1e-3),
    "float32": dict(rtol=2e-5, atol=1e-6),
    "float64": dict(rtol=1e-9, atol=1e-12),
}

EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.5, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30, 1e-7, 65504.0]


def arrays(dtype, shape):
    """Values that mix ordinary numbers with the edge values of the dtype."""
    if dtype in FLOATS:
        info = np.finfo(dtype)
        # compared as Python floats: 1e30 <= float16's max would cast 1e30 to float16 (an overflow warning)
        edges = [v for v in EDGE_FLOATS if not np.isfinite(v) or abs(v) <= float(info.max)] + [info.max, info.tiny]
        elements = st.one_of(st.sampled_from(edges), st.floats(-10, 10, width=32))
    elif dtype == "bool":
        elements = st.booleans()
    elif dtype == "uint8":
        elements = st.integers(0, 255)
    else:
        info = np.iinfo(dtype)
        elements = st.one_of(st.integers(-20, 20), st.sampled_from([info.min, info.max, 0, -1]))
    return hnp.arrays(dtype, shape, elements=elements)


def run_both(fn, *arrays_):
    """fn(T, *tensors) on torch and ember: (result or exception) for each."""
    results = []
    for T in (torch, ember):
        tensors = [T.tensor(a.copy()) if isinstance(a, np.ndarray) else a for a in arrays_]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append((fn(T, *tensors), None))
        except Exception as error:  # noqa: BLE001 - both must raise, or neither
            results.append((None, error))
    return results


def assert_same(t_out, e_out, what="output"):
    if isinstance(t_out, (tuple, list)):
        assert isinstance(e_out, (tuple, list)) and len(e_out) == len(t_out), what
        for i, (t, e) in enumerate(zip(t_out, e_out)):
            assert_same(t, e, f"{what}[{i}]")
        return
    if not isinstance(t_out, torch.Tensor):
        assert not isinstance(e_out, ember.Tensor) and e_out == t_out or (e_out != e_out and t_out != t_out), (
            f"{what}: {e_out!r} != torch {t_out!r}"
        )
        return
    assert isinstance(e_out, ember.Tensor), f"{what}: ember gave {type(e_out)}"
    assert str(e_out.dtype) == str(t_out.dtype), f"{what}: dtype {e_out.dtype} != torch {t_out.dtype}"
    assert tuple(e_out.shape) == tuple(t_out.shape), f"{what}: shape {tuple(e_out.shape)} != {tuple(t_out.shape)}"
    t, e = t_out.detach().numpy(), e_out.detach().numpy()
    if t.dtype.kind == "f":
        np.testing.assert_array_equal(np.isnan(e), np.isnan(t), err_msg=f"{what}: NaN positions")
        np.testing.assert_allclose(e, t, equal_nan=True, err_msg=what, **TOL[str(t.dtype)])
    else:
        np.testing.assert_array_equal(e, t, err_msg=what)


def compare(fn, *arrays_):
    (t_out, t_err), (e_out, e_err) = run_both(fn, *arrays_)
    if t_err is not None or e_err is not None:
        assert t_err is not None and e_err is not None, (
            f"torch: {t_err!r}, ember: {e_err!r}" if t_err is None or e_err is None else ""
        )
        assert isinstance(e_err, type(t_err)), f"ember raised {e_err!r}, torch {t_err!r}"
        return
    assert_same(t_out, e_out)


# ---- elementwise --------------------------------------------------------------------------------------------

BINARY = {
    "add": lambda T, a, b: a + b,
    "sub": lambda T, a, b: a - b,
    "mul": lambda T, a, b: a * b,
    "div": lambda T, a, b: a / b,
    "maximum": lambda T, a, b: T.maximum(a, b),
    "minimum": lambda T, a, b: T.minimum(a, b),
    "eq": lambda T, a, b: a == b,
    "lt": lambda T, a, b: a < b,
    "ge": lambda T, a, b: a >= b,
    "atan2": lambda T, a, b: T.atan2(a, b),
    "logical_and": lambda T, a, b: T.logical_and(a, b),
    "pow": lambda T, a, b: T.pow(a, b),
    "floor_divide": lambda T, a, b: T.floor_divide(a, b),
    "remainder": lambda T, a, b: T.remainder(a, b),
    "bitwise_and": lambda T, a, b: a & b,
    "where": lambda T, a, b: T.where(a > b, a, b),
}

UNARY = {
    "neg": lambda T, a: -a,
    "abs": lambda T, a: a.abs(),
    "exp": lambda T, a: a.exp(),
    "log": lambda T, a: a.log(),
    "sqrt": lambda T, a: a.sqrt(),
    "sin": lambda T, a: a.sin(),
    "tanh": lambda T, a: a.tanh(),
    "sigmoid": lambda T, a: a.sigmoid(),
    "relu": lambda T, a: T.relu(a),
    "floor": lambda T, a: a.floor(),
    "round": lambda T, a: a.round(),
    "sign": lambda T, a: a.sign(),
    "reciprocal": lambda T, a: a.reciprocal(),
    "isnan": lambda T, a: a.isnan(),
    "isinf": lambda T, a: a.isinf(),
    "logical_not": lambda T, a: a.logical_not(),
    "square": lambda T, a: a.square(),
    "clamp": lambda T, a: a.clamp(-1, 2),
    "log1p": lambda T, a: a.log1p(),
}

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)


@pytest.mark.parametrize("op", list(BINARY))
@FUZZ
@given(data=st.data())
def test_binary_ops_broadcast_and_promote_as_torch(op, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3)).input_shapes
    dtypes = data.draw(st.tuples(st.sampled_from(DTYPES), st.sampled_from(DTYPES)))
    a, b = (data.draw(arrays(d, s)) for d, s in zip(dtypes, shapes))
    compare(BINARY[op], a, b)


@pytest.mark.parametrize("op", list(UNARY))
@FUZZ
@given(data=st.data())
def test_unary_ops_as_torch(op, data):
    a = data.draw(arrays(data.draw(st.sampled_from(DTYPES)), data.draw(SHAPES)))
    compare(UNARY[op], a)


SCALARS = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -2.0, 0.0, float("inf"), float("nan"), True]))


@FUZZ
@given(
    dtype=st.sampled_from(DTYPES),
    shape=SHAPES,
    scalar=SCALARS,
    op=st.sampled_from(["add", "mul", "sub", "div", "lt"]),
    reflected=st.booleans(),
    data=st.data(),
)
def test_tensor_scalar_promotion_as_torch(dtype, shape, scalar, op, reflected, data):
    a = data.draw(arrays(dtype, shape))
    fn = BINARY[op]
    compare((lambda T, x: fn(T, scalar, x)) if reflected else (lambda T, x: fn(T, x, scalar)), a)


# ---- reductions ---------------------------------------------------------------------------------------------

REDUCTIONS = {
    "sum": lambda T, a, *dk: a.sum(*dk[:1], keepdim=dk[1]) if dk else a.sum(),
    "mean": lambda T, a, *dk: a.mean(*dk[:1], keepdim=dk[1]) if dk else a.mean(),
    "prod": lambda T, a, *dk: a.prod(*dk[:1], keepdim=dk[1]) if dk else a.prod(),
    "var": lambda T, a, *dk: a.var(*dk[:1], keepdim=dk[1]) if dk else a.var(),
    "std": lambda T, a, *dk: a.std(*dk[:1], keepdim=dk[1]) if dk else a.std(),
    "max": lambda T, a, *dk: tuple(a.max(*dk[:1], keepdim=dk[1])) if dk else a.max(),
    "min": lambda T, a, *dk: tuple(a.min(*dk[:1], keepdim=dk[1])) if dk else a.min(),
    "amax": lambda T, a, *dk: a.amax(*dk[:1], keepdim=dk[1]) if dk else a.amax(),
    "amin": lambda T, a, *dk: a.amin(*dk[:1], keepdim=dk[1]) if dk else a.amin(),
    "argmax": lambda T, a, *dk: a.argmax(*dk[:1], keepdim=dk[1]) if dk else a.argmax(),
    "argmin": lambda T, a, *dk: a.argmin(*dk[:1], keepdim=dk[1]) if dk else a.argmin(),
    "any": lambda T, a, *dk: a.any(*dk[:1], keepdim=dk[1]) if dk else a.any(),
    "logsumexp": lambda T, a, *dk: a.logsumexp(dk[0], keepdim=dk[1]) if dk else a.logsumexp(0),
}


def _ties_free(a):
    """Distinct values, so argmax/max indices are unambiguous (torch and NumPy pick different ties)."""
    flat = np.arange(a.size, dtype=np.float64).reshape(a.shape)
    return (
        np.random.default_rng(a.size).permutation(flat.reshape(-1)).reshape(a.shape).astype(a.dtype)
        if a.dtype.kind in "fiu" and a.size <= 200
        else a
    )


@pytest.mark.parametrize("op", list(REDUCTIONS))
@FUZZ
@given(data=st.data())
def test_reductions_as_torch(op, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(SHAPES)
    a = data.draw(arrays(dtype, shape))
    if op in ("argmax", "argmin", "max", "min"):
        a = _ties_free(a) if dtype != "bool" else a
    dims = data.draw(st.one_of(st.none(), st.integers(-len(shape) - 1, len(shape))) if shape else st.none())
    keepdim = data.draw(st.booleans())
    fn = REDUCTIONS[op]
    compare((lambda T, x: fn(T, x)) if dims is None else (lambda T, x: fn(T, x, dims, keepdim)), a)


# ---- matmul, cat/stack ----------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64", "int64"]))
def test_matmul_shapes_as_torch(data, dtype):
    rank_a, rank_b = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    n, k, m = (data.draw(st.integers(0, 3)) for _ in range(3))
    k_b = k if data.draw(st.integers(0, 9)) else data.draw(st.integers(0, 3))  # sometimes a mismatch
    batch = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)).input_shapes
    shape_a = (k,) if rank_a == 1 else batch[0][: rank_a - 2] + (n, k)
    shape_b = (k_b,) if rank_b == 1 else batch[1][: rank_b - 2] + (k_b, m)
    rng = np.random.default_rng(0)
    a, b = (rng.integers(-3, 4, s).astype(dtype) for s in (shape_a, shape_b))
    compare(lambda T, x, y: x @ y, a, b)


@FUZZ
@given(data=st.data())
def test_cat_and_stack_as_torch(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3))
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    parts = []
    for _ in range(data.draw(st.integers(1, 3))):
        s = list(shape)
        if data.draw(st.booleans()):
            s[dim % len(s) if -len(s) <= dim < len(s) else 0] = data.draw(st.integers(0, 3))
        parts.append(data.draw(arrays(data.draw(st.sampled_from(DTYPES)), tuple(s))))
    compare(lambda T, *xs: T.cat(list(xs), dim), *parts)
    compare(lambda T, *xs: T.stack(list(xs), dim), *parts)


# ---- indexing ------------------------------------------------------------------------------------------------


def index_keys(shape):
    """A random basic or advanced key for an array of this shape (sometimes out of range, as users write)."""

    def one(size):
        return st.one_of(
            st.integers(-size - 1, size),
            st.builds(
                slice,
                st.none() | st.integers(-size - 1, size + 1),
                st.none() | st.integers(-size - 1, size + 1),
                st.none() | st.integers(1, 3),
            ),
            st.lists(st.integers(-size, max(size - 1, 0)), min_size=0, max_size=3).map(
                lambda v: np.array(v, dtype=np.int64)
            ),
            st.just(None),
            st.just(Ellipsis),
        )

    parts = st.tuples(*(one(s) for s in shape)) if shape else st.just(())
    mask = hnp.arrays(np.bool_, shape[:1]) if shape else st.just(np.array(True))
    return st.one_of(parts, parts.map(lambda p: p[:1]), mask)


def _as_key(T, key):
    if isinstance(key, np.ndarray):
        return T.tensor(key)
    if isinstance(key, tuple):
        return tuple(T.tensor(k) if isinstance(k, np.ndarray) else k for k in key)
    return key


@FUZZ
@given(data=st.data())
def test_indexing_as_torch(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    a = data.draw(arrays(data.draw(st.sampled_from(["float32", "int64", "bool"])), shape))
    key = data.draw(index_keys(shape))
    if isinstance(key, tuple) and sum(k is Ellipsis for k in key) > 1:
        key = tuple(k for k in key if k is not Ellipsis)
    compare(lambda T, x: x[_as_key(T, key)], a)


@FUZZ
@given(data=st.data())
def test_index_assignment_as_torch(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    a = data.draw(arrays("float32", shape))
    key = data.draw(index_keys(shape))
    if isinstance(key, tuple) and sum(k is Ellipsis for k in key) > 1:
        key = tuple(k for k in key if k is not Ellipsis)

    def assign(T, x):
        x[_as_key(T, key)] = 7.0
        return x

    compare(assign, a)


# ---- mismatches the fuzzers found ------------------------------------------------------------------------------


def _t(T, values, dtype):
    return T.tensor(np.array(values, dtype=dtype))


REGRESSIONS = {
    # name: fn(T) -- compared as above: same result, or the same exception type
    "float16_minus_bool": lambda T: _t(T, 0.0, "float16") - _t(T, False, "bool"),
    "bool_minus_scalar": lambda T: _t(T, [True], "bool") - 0,
    "neg_of_bool": lambda T: -_t(T, [True], "bool"),
    "relu_of_bool": lambda T: T.relu(_t(T, [True], "bool")),
    "floor_of_bool": lambda T: _t(T, [True], "bool").floor(),
    "round_of_bool": lambda T: _t(T, [True], "bool").round(),
    "square_of_bool_is_int64": lambda T: _t(T, [True, False], "bool").square(),
    "clamp_of_bool_is_int64": lambda T: _t(T, [True, False], "bool").clamp(-1, 2),
    "clamp_of_uint8_casts_min_to_uint8": lambda T: _t(T, [0, 1, 3], "uint8").clamp(-1, 2),
    "int_floor_divide_by_zero": lambda T: T.floor_divide(_t(T, 0, "int32"), _t(T, 0, "uint8")),
    "int_remainder_by_zero": lambda T: T.remainder(_t(T, 0, "uint8"), _t(T, 0, "uint8")),
    "bitwise_and_of_float16": lambda T: _t(T, 0.0, "float16") & _t(T, 0, "uint8"),
    "argmax_of_empty": lambda T: _t(T, [], "float32").argmax(),
    "argmin_of_empty_along_empty_dim": lambda T: T.zeros(0, 3).argmin(0),
    "argmax_of_empty_along_nonempty_dim": lambda T: T.zeros(0, 3).argmax(1),
    "amin_of_empty_along_empty_dim": lambda T: T.zeros(0, 3).amin(0),
    "amax_of_empty_message_names_amax": lambda T: T.zeros(0, 3).amax(0),
    "any_of_uint8_is_uint8": lambda T: _t(T, [0, 2], "uint8").any(),
    "logsumexp_of_0d": lambda T: _t(T, 1.0, "float32").logsumexp(0),
    "cat_of_legacy_empty_1d_along_dim_1": lambda T: T.cat([T.zeros(0)], 1),
    "int_pow_negative_tensor_exponent": lambda T: T.pow(_t(T, [0, 2], "int32"), _t(T, [-1, -1], "int32")),
    "pow_of_two_bools": lambda T: T.pow(_t(T, [True], "bool"), _t(T, [False], "bool")),
    "abs_of_bool": lambda T: _t(T, [True], "bool").abs(),
    "sign_of_bool": lambda T: _t(T, [True, False], "bool").sign(),
    "argmin_of_bool": lambda T: _t(T, [True, False], "bool").argmin(),
    "std_of_float16_near_max": lambda T: _t(T, [65504.0, 65504.0], "float16").std(),
    "index_0d_with_0d_bool_tensor": lambda T: _t(T, 1.0, "float32")[T.tensor(True)],
    "index_0d_with_True": lambda T: _t(T, 1.0, "float32")[True],
}


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_fuzzer_found_regression(name):
    compare(lambda T: REGRESSIONS[name](T))


WARNING_CASES = {
    "mean_of_empty": lambda T: T.zeros(0).mean(),
    "mean_of_empty_along_dim": lambda T: T.zeros(0, 3).mean(0),
    "var_of_empty": lambda T: T.zeros(0, 3).var(0),
    "std_of_one": lambda T: T.zeros(1).std(),
    "var_with_enough_elements": lambda T: T.zeros(3).var(),
}


@pytest.mark.parametrize("name", list(WARNING_CASES))
def test_warnings_as_torch(name):
    """torch warns (UserWarning) only when the degrees of freedom are <= 0, and never for an empty mean."""
    categories = []
    for T in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            WARNING_CASES[name](T)
        categories.append(sorted({w.category.__name__ for w in caught}))
    assert categories[1] == categories[0], f"ember warned {categories[1]}, torch {categories[0]}"


def test_logsumexp_requires_dim_as_torch():
    compare(lambda T: T.tensor([1.0]).logsumexp())
    with pytest.raises(TypeError, match="dim"):
        ember.tensor([1.0]).logsumexp()


def test_linear_of_0d_input_as_torch():
    compare(lambda T: T.nn.functional.linear(T.tensor(1.0), T.ones(2, 1)))
    with pytest.raises(RuntimeError, match="both arguments to linear need to be at least 1D, but they are 0D and 2D"):
        ember.nn.functional.linear(ember.tensor(1.0), ember.ones(2, 1))
