"""The torch-oracle table: every differentiable op, run on torch and ember with the same inputs;
values, dtypes, shapes and input gradients must agree (float32 rtol 1e-5, float64 rtol 1e-10)."""

import numpy as np
import pytest

import ember
from oracle import assert_close, check, torch
from op_table import ROWS


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,fn,shapes,opts", ROWS, ids=[r[0] for r in ROWS])
def test_op_matches_torch(name, fn, shapes, opts, dtype, device):
    if callable(shapes):
        check(fn, arrays=shapes(dtype), dtype=dtype, device=device, **opts)
    else:
        check(fn, shapes, dtype=dtype, device=device, **opts)


# --- non-differentiable ops: values and dtypes -------------------------------------------------


def _ints(dtype=np.int64, shape=(3, 4), seed=5, low=-4, high=5):
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(dtype)


def _floats_with_ties():
    return np.array([[1.0, -2.0, 1.0, 0.0], [3.0, 3.0, -1.0, np.nan], [0.5, np.inf, -np.inf, 0.5]], np.float32)


def _unique_ints():
    return np.array([3, 1, 2, 3, 1, 5, 0, 5], np.int64)


NO_GRAD_ROWS = [
    ("eq", lambda T, x, y: x == y, lambda: [_ints(), _ints(seed=6)]),
    ("ne-scalar", lambda T, x: x != 1, lambda: [_ints()]),
    ("lt-bcast", lambda T, x, y: x < y, lambda: [_ints(), _ints(shape=(4,), seed=7)]),
    ("le-float-int", lambda T, x, y: x <= y, lambda: [_floats_with_ties(), _ints(shape=(3, 4))]),
    ("gt-float-scalar", lambda T, x: x > 0.5, lambda: [_floats_with_ties()]),
    ("ge", lambda T, x, y: T.ge(x, y), lambda: [_ints(), _ints(seed=6)]),
    ("logical_and", lambda T, x, y: T.logical_and(x, y), lambda: [_ints(), _floats_with_ties()]),
    ("logical_or", lambda T, x, y: x.logical_or(y), lambda: [_ints(), _ints(seed=6)]),
    ("logical_xor", lambda T, x, y: T.logical_xor(x, y), lambda: [_ints() > 0, _ints(seed=6)]),
    ("logical_not", lambda T, x: T.logical_not(x), lambda: [_floats_with_ties()]),
    ("bitwise_and", lambda T, x, y: x & y, lambda: [_ints(), _ints(seed=6)]),
    ("bitwise_or-bool", lambda T, x, y: x | y, lambda: [_ints() > 0, _ints(seed=6) > 0]),
    (
        "bitwise_xor-uint8",
        lambda T, x, y: x ^ y,
        lambda: [_ints(np.uint8, low=0, high=200), _ints(np.uint8, seed=6, low=0, high=200)],
    ),
    ("bitwise_not", lambda T, x: ~x, lambda: [_ints(np.int32)]),
    ("invert-bool", lambda T, x: ~x, lambda: [_ints() > 0]),
    ("argmax", lambda T, x: x.argmax(), lambda: [_ints()]),
    ("argmax-dim", lambda T, x: T.argmax(x, dim=1), lambda: [_ints(seed=9)]),
    ("argmax-keepdim", lambda T, x: x.argmax(0, keepdim=True), lambda: [_ints(seed=9)]),
    ("argmin-float", lambda T, x: x.argmin(1), lambda: [np.random.default_rng(1).random((3, 4)).astype(np.float32)]),
    ("all", lambda T, x: x.all(), lambda: [_ints()]),
    ("all-dim", lambda T, x: T.all(x, dim=1), lambda: [_ints() > -3]),
    ("any", lambda T, x: x.any(), lambda: [_ints() > 3]),
    ("any-dim-float", lambda T, x: x.any(0), lambda: [_floats_with_ties()]),
    ("nonzero", lambda T, x: x.nonzero(), lambda: [_ints()]),
    ("nonzero-as-tuple", lambda T, x: T.nonzero(x, as_tuple=True), lambda: [_ints()]),
    ("argwhere", lambda T, x: T.argwhere(x), lambda: [_ints()]),
    ("argwhere-method-bool", lambda T, x: (x > 0).argwhere(), lambda: [_floats_with_ties()]),
    ("getitem-int", lambda T, x: x[[2, 0], 1:], lambda: [_ints()]),
    (
        "getitem-uint8-values-int32-index",
        lambda T, x, i: x[i],
        lambda: [_ints(np.uint8, low=0, high=9), _ints(np.int32, (2,), low=0, high=3)],
    ),
    ("setitem-bool", lambda T, x: _assign(x.clone(), (slice(None), [0, 3]), True), lambda: [_ints() > 0]),
    (
        "gather-int-int32-index",
        lambda T, x: x.gather(1, T.tensor([[0, 3], [1, 1], [2, 0]], dtype=T.int32)),
        lambda: [_ints()],
    ),
    ("scatter-int", lambda T, x: x.scatter(0, T.tensor([[2, 0, 1, 1]]), 7), lambda: [_ints(np.int16)]),
    (
        "scatter_add-uint8",
        lambda T, x, s: x.scatter_add(1, T.tensor([[0, 0], [1, 3], [3, 3]]), s),
        lambda: [_ints(np.uint8, low=0, high=9), _ints(np.uint8, (3, 2), low=0, high=9)],
    ),
    *[
        (
            f"scatter_reduce-int-{r}",
            (
                lambda r: (
                    lambda T, x, s: x.scatter_reduce(
                        0, T.tensor([[0, 2, 0, 2], [1, 1, 1, 0]]), s, r, include_self=False
                    )
                )
            )(r),
            lambda: [_ints(), _ints(shape=(2, 4), seed=6)],
        )
        for r in ("sum", "prod", "mean", "amax", "amin")
    ],
    ("index_select-bool", lambda T, x: x.index_select(1, T.tensor([3, 0, 3])), lambda: [_ints() > 0]),
    (
        "index_add-int",
        lambda T, x, s: x.index_add(0, T.tensor([1, 1]), s, alpha=3),
        lambda: [_ints(), _ints(shape=(2, 4), seed=6)],
    ),
    ("index_copy-int", lambda T, x, s: x.index_copy(1, T.tensor([3, 0]), s), lambda: [_ints(), _ints(shape=(3, 2))]),
    ("index_fill-bool", lambda T, x: x.index_fill(0, T.tensor([1]), True), lambda: [_ints() > 0]),
    (
        "index_put-int-accumulate",
        lambda T, x, v: x.index_put((T.tensor([0, 0]),), v, accumulate=True),
        lambda: [_ints(), _ints(shape=(4,), seed=6)],
    ),
    ("masked_fill-int", lambda T, x: x.masked_fill(x > 0, -9), lambda: [_ints()]),
    ("masked_select-bool", lambda T, x: x.masked_select(x), lambda: [_ints() > 0]),
    ("masked_scatter-int", lambda T, x, s: x.masked_scatter(x < 0, s), lambda: [_ints(), _ints(shape=(12,), seed=6)]),
    ("take-int", lambda T, x: x.take(T.tensor([[-1, 0], [5, 11]])), lambda: [_ints()]),
    ("take_along_dim-int", lambda T, x: T.take_along_dim(x, T.tensor([[1], [0], [3]]), dim=-1), lambda: [_ints()]),
    (
        "searchsorted",
        lambda T, s, v: T.searchsorted(s, v),
        lambda: [np.array([0.5, 1.0, 1.0, 3.0], np.float32), _floats_with_ties()],
    ),
    (
        "searchsorted-right-int32",
        lambda T, s, v: T.searchsorted(s, v, right=True, out_int32=True),
        lambda: [np.array([[1, 3, 5], [0, 0, 2]]), np.array([[3, 6], [0, 2]])],
    ),
    ("bucketize", lambda T, x, b: T.bucketize(x, b), lambda: [_ints(), np.array([-2, 0, 3])]),
    ("bincount", lambda T, x: T.bincount(x, minlength=7), lambda: [_ints(shape=(12,), low=0, high=5)]),
    (
        "bincount-weights",
        lambda T, x, w: x.bincount(w),
        lambda: [_ints(np.int64, (6,), low=0, high=4), np.linspace(0, 1, 6)],
    ),
    ("histc", lambda T, x: T.histc(x, bins=4, min=-2, max=3), lambda: [np.linspace(-3, 4, 15).astype(np.float32)]),
    ("unique", lambda T, x: T.unique(x), lambda: [_unique_ints()]),
    (
        "unique-inverse-counts",
        lambda T, x: T.unique(x, return_inverse=True, return_counts=True),
        lambda: [_unique_ints()],
    ),
    ("sort-indices", lambda T, x: x.sort(stable=True), lambda: [_unique_ints()]),
    ("argsort-desc", lambda T, x: x.argsort(descending=True, stable=True), lambda: [_unique_ints()]),
    ("isnan", lambda T, x: x.isnan(), lambda: [_floats_with_ties()]),
    ("isinf", lambda T, x: T.isinf(x), lambda: [_floats_with_ties()]),
    ("isfinite", lambda T, x: x.isfinite(), lambda: [_floats_with_ties()]),
    ("isposinf", lambda T, x: T.isposinf(x), lambda: [_floats_with_ties()]),
    ("floor-divide-int", lambda T, x, y: x // y, lambda: [_ints(), _ints(seed=6, low=1, high=4)]),
    ("remainder-int", lambda T, x, y: x % y, lambda: [_ints(), _ints(seed=6, low=1, high=4)]),
    ("sum-int", lambda T, x: x.sum(0), lambda: [_ints(np.int32)]),
    ("sum-bool", lambda T, x: x.sum(), lambda: [_ints() > 0]),
    ("cumsum-uint8", lambda T, x: x.cumsum(0), lambda: [_ints(np.uint8, low=0, high=200)]),
    ("prod-int", lambda T, x: x.prod(1), lambda: [_ints(np.int16)]),
    ("max-int-dim", lambda T, x: x.max(1), lambda: [_ints(seed=9)]),
    ("abs-int", lambda T, x: x.abs(), lambda: [_ints(np.int8)]),
    ("neg-int", lambda T, x: -x, lambda: [_ints(np.int16)]),
    ("sign-float", lambda T, x: x.sign(), lambda: [_floats_with_ties()]),
    ("exp-int-promotes", lambda T, x: x.exp(), lambda: [_ints()]),
    ("sqrt-bool-promotes", lambda T, x: x.sqrt(), lambda: [_ints() > 0]),
    ("mean-int-dtype", lambda T, x: x.mean(dtype=T.float64), lambda: [_ints()]),
    ("clamp-int", lambda T, x: x.clamp(-1, 2), lambda: [_ints()]),
    ("where-int", lambda T, x, y: T.where(x > 0, x, y), lambda: [_ints(), _ints(np.int32, seed=6)]),
    ("where-two-scalars", lambda T, x: (T.where(x > 0, 1.5, -2.0), T.where(x > 0, 1, 0)), lambda: [_ints()]),
    ("greater", lambda T, x, y: T.greater(x, y), lambda: [_ints(), _ints(seed=6)]),
    ("greater_equal", lambda T, x, y: x.greater_equal(y), lambda: [_ints(), _ints(seed=6)]),
    ("less", lambda T, x, y: T.less(x, y), lambda: [_floats_with_ties(), _ints()]),
    ("less_equal", lambda T, x, y: x.less_equal(y), lambda: [_ints(), _ints(seed=6)]),
    ("not_equal", lambda T, x, y: T.not_equal(x, y), lambda: [_ints(), _ints(seed=6)]),
    ("isneginf", lambda T, x: T.isneginf(x), lambda: [_floats_with_ties()]),
    ("signbit", lambda T, x: x.signbit(), lambda: [np.array([-0.0, 0.0, -1.5, np.inf, -np.inf], np.float32)]),
    (
        "isclose",
        lambda T, x, y: T.isclose(x, y, rtol=0.1, equal_nan=True),
        lambda: [_floats_with_ties(), _floats_with_ties() * 1.05],
    ),
    (
        "allclose",
        lambda T, x, y: T.tensor(x.allclose(y, atol=0.1)),
        lambda: [_floats_with_ties()[:2, :3], _floats_with_ties()[:2, :3] + 0.05],
    ),
    ("equal", lambda T, x, y: T.tensor([T.equal(x, y), T.equal(x, x)]), lambda: [_ints(), _ints(seed=6)]),
    ("count_nonzero", lambda T, x: T.count_nonzero(x, dim=1), lambda: [_ints()]),
    ("count_nonzero-all", lambda T, x: x.count_nonzero(), lambda: [_ints()]),
    ("bincount-unique", lambda T, x: T.bincount(x, minlength=12), lambda: [_unique_ints()]),
    ("bincount-float64-weights", lambda T, x: x.bincount(T.arange(8, dtype=T.float64)), lambda: [_unique_ints()]),
    ("histc-ties", lambda T, x: T.histc(x, bins=4, min=-2, max=2), lambda: [_floats_with_ties()[:, :2]]),
    (
        "searchsorted-right",
        lambda T, s, v: T.searchsorted(s, v, right=True),
        lambda: [np.arange(6, dtype=np.int64), _unique_ints()],
    ),
    ("bucketize-int64", lambda T, x, b: T.bucketize(x, b), lambda: [_ints(), np.array([-2, 0, 3], np.int64)]),
    (
        "unique_consecutive",
        lambda T, x: T.unique_consecutive(x, return_inverse=True, return_counts=True),
        lambda: [np.array([1, 1, 2, 2, 2, 1, 3, 3], np.int64)],
    ),
    ("broadcast_shapes", lambda T: T.tensor(T.broadcast_shapes((3, 1), (1, 4), (2, 1, 1))), lambda: []),
    ("as_tensor", lambda T, x: T.as_tensor(x.cpu().numpy(), dtype=T.float64), lambda: [_ints()]),
    # from_numpy makes a CPU tensor; as_tensor takes it to the device under test
    ("from_numpy", lambda T: T.as_tensor(T.from_numpy(np.arange(6, dtype=np.int16).reshape(2, 3))), lambda: []),
    ("new_empty", lambda T, x: x.new_empty((2, 3)).shape == (2, 3), lambda: [_ints()]),
    ("int", lambda T, x: x.int(), lambda: [_floats_with_ties()[:, :2]]),
    ("long", lambda T, x: x.long(), lambda: [_floats_with_ties()[:, :2]]),
    ("short", lambda T, x: x.short(), lambda: [_ints()]),
    ("char", lambda T, x: x.char(), lambda: [_ints()]),
    ("byte", lambda T, x: x.byte(), lambda: [_ints(low=0)]),
    ("bool", lambda T, x: x.bool(), lambda: [_floats_with_ties()]),
    ("fill_", lambda T, x: x.clone().fill_(3), lambda: [_ints()]),
    ("zero_", lambda T, x: x.clone().zero_(), lambda: [_ints()]),
    ("copy_", lambda T, x, y: x.clone().copy_(y), lambda: [_ints(), _ints(np.int32, seed=6)]),
    ("index_put_", lambda T, x: x.clone().index_put_((T.tensor([0, 2]),), T.tensor(7)), lambda: [_ints()]),
    ("histogram", lambda T, x: T.histogram(x, bins=4, range=(-2.0, 2.0)), lambda: [_floats_with_ties()[:, :2]]),
    ("isin", lambda T, x, y: T.isin(x, y), lambda: [_ints(), _unique_ints()]),
    (
        "is_complex-is_conj-is_neg",
        lambda T, x: T.tensor(
            [x.is_complex(), T.is_complex(x * 1j), x.is_conj(), T.is_conj(x), x.is_neg(), T.is_neg(x)]
        ),
        lambda: [_floats_with_ties()],
    ),
    (
        "new",
        lambda T, x: (x.new([[1, 2], [3, 4]]), T.tensor(list(x.new(2, 3).shape) + list(x.new().shape))),
        lambda: [_ints()],
    ),
    ("resize_", lambda T, x: x.clone().resize_(2, 2), lambda: [_ints()]),
    ("resize_as_", lambda T, x, y: x.clone().resize_as_(y), lambda: [_ints(), _ints(shape=(2, 3), seed=6)]),
    # values only: torch has no derivative of native_channel_shuffle, its polygamma_ overwrites the input its
    # backward needs, and its vander backward fails (ember's vander gradient: test_math_ops)
    (
        "native_channel_shuffle",
        lambda T, x: T.native_channel_shuffle(x, 2),
        lambda: [np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2)],
    ),
    ("polygamma_", lambda T, x: x.clone().polygamma_(1), lambda: [np.linspace(0.5, 3, 6, dtype=np.float32)]),
    ("vander", lambda T, x: T.vander(x, 3, True), lambda: [np.array([1.5, -2.0, 0.5, 3.0], np.float32)]),
]


def _assign(x, key, value):
    x[key] = value
    return x


@pytest.mark.parametrize("name,fn,arrays", NO_GRAD_ROWS, ids=[r[0] for r in NO_GRAD_ROWS])
def test_non_differentiable_op_matches_torch(name, fn, arrays, device):
    check(fn, arrays=arrays(), grad=False, device=device)


# --- dtype promotion of mixed-dtype arithmetic ----------------------------------------------------


def _tensors(T, spec):
    """spec: ('int64', (2,)) a tensor; ('int64', ()) a 0-d tensor; a Python scalar as itself."""
    if not isinstance(spec, tuple):
        return spec
    dtype_name, shape = spec
    return T.ones(shape, dtype=getattr(T, dtype_name)) * (2 if dtype_name != "bool" else 1)


PROMOTION = [
    (("int64", (2,)), 2.5, "add"),
    (("int32", (2,)), 3, "add"),
    (("int8", (2,)), 1000, "mul"),
    (("uint8", (2,)), ("int8", (2,)), "add"),
    (("bool", (2,)), ("int32", (2,)), "add"),
    (("bool", (2,)), 3, "mul"),
    (("bool", (2,)), 1.5, "mul"),
    (("bool", (2,)), True, "add"),
    (("int64", (2,)), ("int64", (2,)), "div"),
    (("int32", (2,)), 2, "div"),
    (("float16", (2,)), ("float64", ()), "add"),
    (("float16", (2,)), ("float64", (2,)), "add"),
    (("float32", (2,)), ("int64", (2,)), "sub"),
    (("int32", (2,)), ("float64", ()), "mul"),
    (("uint8", (2,)), ("int64", ()), "add"),
    (("int8", (2,)), ("uint8", ()), "add"),
    (("float32", ()), ("float64", ()), "add"),
    (("float32", (2,)), 2, "pow"),
    (("int64", (2,)), 0.5, "pow"),
    (("int32", (2,)), ("int64", (2,)), "floor_divide"),
    (("uint8", (2,)), 3, "remainder"),
    (("float16", (2,)), 1e-3, "add"),
    (("int16", (2,)), ("float16", ()), "add"),
    (2, ("float32", (2,)), "sub"),
    (3, ("int8", (2,)), "div"),
]


@pytest.mark.parametrize("a,b,op", PROMOTION, ids=[f"{a}-{op}-{b}" for a, b, op in PROMOTION])
def test_mixed_dtype_result_matches_torch(a, b, op):
    fn = lambda T, *_: getattr(T, op)(_tensors(T, a), _tensors(T, b))  # noqa: E731
    ours, theirs = fn(ember), fn(torch)
    assert str(ours.dtype) == str(theirs.dtype)
    assert_close(ours, theirs)
    assert str(ember.result_type(_tensors(ember, a), _tensors(ember, b))) == str(
        torch.result_type(_tensors(torch, a), _tensors(torch, b))
    )


def test_promote_types_table_matches_torch():
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    for x in names:
        for y in names:
            assert str(ember.promote_types(getattr(ember, x), getattr(ember, y))) == str(
                torch.promote_types(getattr(torch, x), getattr(torch, y))
            ), (x, y)


def test_row_ids_are_unique():
    """Each row's id names one case (the version-counter and coverage tables look rows up by id)."""
    for rows in (ROWS, NO_GRAD_ROWS):
        ids = [r[0] for r in rows]
        assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
