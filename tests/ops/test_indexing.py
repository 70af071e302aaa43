"""Indexing as torch does it, case by case against torch 2.13: getitem/setitem (torch's reading of a key,
not NumPy's), index_put, gather/scatter/scatter_reduce, index_select/add/copy/fill, take,
take_along_dim and the masked ops: values, shapes, dtypes, gradients and error types."""

import warnings

import numpy as np
import pytest
import torch

import ember
from index_oracle import assert_same


def _x(T, shape=(3, 4, 5), dtype="float64", grad=False):
    arr = (np.arange(int(np.prod(shape))) - 7).reshape(shape).astype(dtype) / (3 if "float" in dtype else 1)
    return T.tensor(arr, dtype=getattr(T, dtype), requires_grad=grad)


def _get(key, shape=(3, 4, 5)):
    """x[key(T)] with the gradient of x."""

    def fn(T):
        x = _x(T, shape, grad=True)
        return x[key(T)], [x]

    return fn


def _set(key, value, shape=(3, 4, 5)):
    """y = x * 1; y[key(T)] = value(T): the result and the gradients of x and of a tensor value."""

    def fn(T):
        x = _x(T, shape, grad=True)
        y = x * 1
        v = value(T)
        y[key(T)] = v
        return y, [x] + ([v] if isinstance(v, T.Tensor) and v.requires_grad else [])

    return fn


def _i(T, values, dtype="int64"):
    return T.tensor(np.array(values, dtype=dtype), dtype=getattr(T, dtype))


def _v(T, shape, dtype="float64"):
    return T.tensor(
        np.arange(1, int(np.prod(shape)) + 1).reshape(shape) / 4,
        dtype=getattr(T, dtype),
        requires_grad=dtype.startswith("float"),
    )


GETITEM = {
    # an int is applied first as a view (it is no advanced index, unlike NumPy's)
    "int-slice-list": lambda T: [1, slice(None), [0, 1, 2]],
    "0d-tensor-slice-list": lambda T: (T.tensor(1), slice(None), [0, 1]),
    "list-slice-int": lambda T: ([0, 1], slice(None), 1),
    "list-int-list": lambda T: ([0, 1], 1, [0, 1]),
    "lists-separated-by-slice": lambda T: ([0, 2], slice(None), [1, 3]),
    "lists-separated-by-None": lambda T: ([0, 1], None, [0, 1]),
    "slice-None-lists": lambda T: (slice(None), None, [0, 1], [0, 1]),
    "2d-lists-separated": lambda T: ([[0], [1]], slice(None), [0, 1, 2]),
    "int-list-slice": lambda T: (1, [0, 1], slice(None)),
    "None-list-None-list": lambda T: (None, [0, 1], None, [0, 2]),
    "mask-slice-list": lambda T: (T.tensor([True, False, True]), slice(None), [0, 1]),
    # bools: a new dim, taken by [0] (True) or [] (False), an advanced index
    "True": lambda T: True,
    "False": lambda T: False,
    "True-list": lambda T: (True, [0, 1]),
    "list-True": lambda T: ([0, 1], True),
    "list-True-list": lambda T: ([0, 1], True, [1, 2]),
    "list-slice-True": lambda T: ([0, 1], slice(None), True),
    "int-False": lambda T: (0, False),
    "0d-bool-tensor": lambda T: T.tensor(True),
    # None and Ellipsis anywhere, even twice
    "None-Ellipsis": lambda T: (None, Ellipsis),
    "Ellipsis-None": lambda T: (Ellipsis, None),
    "Ellipsis-int-Ellipsis": lambda T: (Ellipsis, 1, Ellipsis),
    "Ellipsis-list-Ellipsis": lambda T: (Ellipsis, [1], Ellipsis),
    "None-Ellipsis-int-Ellipsis": lambda T: (None, Ellipsis, 0, Ellipsis),
    "Ellipsis-Ellipsis": lambda T: (Ellipsis, Ellipsis),
    "list-Ellipsis-list": lambda T: ([0, 1], Ellipsis, [0, 1]),
    "slice-Ellipsis-None-list": lambda T: (slice(1, 2), Ellipsis, None, [0]),
    # a short list holding a sequence, slice, None, Ellipsis or tensor is read as a tuple (deprecated)
    "nested-list": lambda T: [[0, 1], [2, 0]],
    "list-of-0d-tensors": lambda T: [T.tensor(0), T.tensor(1)],
    "list-of-tensors": lambda T: [T.tensor([0, 1]), T.tensor([1, 1])],
    "list-int-slice": lambda T: [0, slice(None)],
    "list-int-None": lambda T: [0, None],
    "list-of-list": lambda T: [[0, 1]],
    "long-list-of-lists": lambda T: [[0]] * 40,  # 32 items or more: one index
    "long-list": lambda T: [0] * 40,
    "tuple-of-0d-tensor-list": lambda T: ([T.tensor(0), T.tensor(1)],),
    "tuple-of-tensor-list": lambda T: ([T.tensor([0, 1]), T.tensor([1, 1])],),
    "tuple-of-tuple": lambda T: ((0, 1),),
    # empty indices
    "empty-list": lambda T: [],
    "two-empty-lists": lambda T: ([], []),
    "nested-empty-list": lambda T: [[]],
    "empty-list-int": lambda T: ([], 0),
    "empty-slice-list": lambda T: (slice(0, 0), [0, 1]),
    # slices: steps, bounds out of range, tensor bounds; a step below one is refused
    "slice-step": lambda T: (slice(None, None, 2), slice(1, None, 3)),
    "slice-bounds-past-ends": lambda T: slice(-10, 10, 2),
    "slice-past-end": lambda T: slice(5, 10),
    "slice-tensor-bound": lambda T: slice(T.tensor(1), 3),
    "slice-numpy-bounds": lambda T: slice(np.int64(1), np.int64(3)),
    "negative-step": lambda T: slice(None, None, -1),
    "zero-step": lambda T: slice(None, None, 0),
    "negative-step-in-tuple": lambda T: (0, slice(3, 0, -1)),
    "float-slice-bound": lambda T: slice(1, 3.5),
    # index tensors of every integer dtype; 0-d tensors select
    **{f"tensor-{d}": (lambda d: lambda T: _i(T, [0, 2], d))(d) for d in ("int8", "int16", "int32", "int64")},
    **{f"0d-tensor-{d}": (lambda d: lambda T: _i(T, 1, d))(d) for d in ("int8", "int16", "int32", "int64")},
    "uint8-mask": lambda T: _i(T, [1, 0, 2], "uint8"),
    "uint8-0d": lambda T: _i(T, 1, "uint8"),
    "uint8-0d-zero": lambda T: _i(T, 0, "uint8"),
    "uint8-mask-wrong-shape": lambda T: _i(T, [0, 1], "uint8"),
    "float-tensor": lambda T: T.tensor([0.0]),
    "float-0d-tensor": lambda T: T.tensor(0.0),
    "bool-mask-3d": lambda T: _x(T) > 10,
    "bool-mask-rows": lambda T: T.tensor([True, False, True]),
    "bool-mask-2d-tail": lambda T: (slice(None), (_x(T) > 10)[0]),
    "list-and-mask": lambda T: ([0, 1], [True, False, True, True]),
    # indices out of range, shapes that do not fit
    "int-out-of-range": lambda T: 5,
    "negative-int-out-of-range": lambda T: -4,
    "int-out-of-range-dim1": lambda T: (slice(None), 7),
    "int-out-of-range-after-None": lambda T: (None, slice(None), 7),
    "list-out-of-range": lambda T: [5],
    "list-negative-out-of-range": lambda T: [-4],
    "second-list-out-of-range": lambda T: ([0], [7]),
    "list-after-True-out-of-range": lambda T: (True, [7]),
    "first-bad-index-reported": lambda T: [0, 9, 5],
    "too-many-indices": lambda T: (0, 0, 0, 0),
    "mask-wrong-shape": lambda T: T.tensor([True, False]),
    "mask-wrong-shape-dim1": lambda T: (slice(None), T.tensor([True, False])),
    "mask-2d-wrong-shape": lambda T: T.ones(3, 3, dtype=T.bool),
    "lists-do-not-broadcast": lambda T: ([0, 1], [0, 1, 2]),
    "list-and-mask-do-not-broadcast": lambda T: (T.tensor([1, 2]), T.tensor([True, False, True, True])),
    # Python ranges, NumPy arrays and scalars, floats in lists
    "range": lambda T: range(2),
    "range-and-list": lambda T: (range(2), [1, 2]),
    "numpy-int32": lambda T: np.array([0, 1], dtype=np.int32),
    "numpy-uint16": lambda T: np.array([0, 1, 1], dtype=np.uint16),
    "numpy-uint8-mask": lambda T: np.array([0, 1, 1], dtype=np.uint8),
    "numpy-float": lambda T: np.array([0.5, 1.0]),
    "numpy-bool": lambda T: np.array([True, False, True]),
    "numpy-2d": lambda T: np.array([[0, 1], [1, 2]]),
    "numpy-0d": lambda T: np.array(1),
    "numpy-int-scalar": lambda T: np.int64(1),
    "numpy-bool-scalar": lambda T: np.bool_(True),
    "numpy-in-tuple": lambda T: (np.array([0, 1]),),
    "list-of-numpy-ints": lambda T: [np.int64(0), np.int64(1)],
    "list-of-floats": lambda T: [0.5, 1.0],
    "list-int-and-bool": lambda T: [0, True],
    "float": lambda T: 1.0,
    "float-in-tuple": lambda T: (slice(None), 1.5),
    "str": lambda T: "a",
    "dict": lambda T: {},
}


@pytest.mark.parametrize("name", list(GETITEM))
def test_getitem_as_torch(name):
    assert_same(_get(GETITEM[name]))


GETITEM_SPECIAL_SHAPES = {
    "0d-None": ((), lambda T: None),
    "0d-Ellipsis": ((), lambda T: Ellipsis),
    "0d-True": ((), lambda T: True),
    "0d-False": ((), lambda T: False),
    "0d-None-True": ((), lambda T: (None, True)),
    "0d-True-True": ((), lambda T: (True, True)),
    "0d-0d-bool-tensor": ((), lambda T: T.tensor(True)),
    "0d-int": ((), lambda T: 0),
    "0d-int-1": ((), lambda T: 1),
    "0d-int-neg": ((), lambda T: -1),
    "0d-int-in-tuple": ((), lambda T: (0,)),
    "0d-list": ((), lambda T: [0]),
    "0d-empty-list": ((), lambda T: []),
    "0d-slice": ((), lambda T: slice(None)),
    "0d-0d-int-tensor": ((), lambda T: T.tensor(0)),
    "0d-mask-1d": ((), lambda T: T.tensor([True])),
    "0d-self-mask": ((), lambda T: T.tensor(True)),
    "empty-empty-list": ((0, 3), lambda T: []),
    "empty-list-0": ((0, 3), lambda T: [0]),
    "empty-slice-list": ((0, 3), lambda T: (slice(None), [0, 2])),
    "empty-mask": ((0, 3), lambda T: T.zeros(0, 3, dtype=T.bool)),
    "empty-dim1-list": ((2, 0), lambda T: (slice(None), [0])),
}


@pytest.mark.parametrize("name", list(GETITEM_SPECIAL_SHAPES))
def test_getitem_of_0d_and_empty_tensors_as_torch(name):
    shape, key = GETITEM_SPECIAL_SHAPES[name]
    assert_same(_get(key, shape))


def test_getitem_on_a_view_then_indexing_with_repeats_accumulates_gradients():
    def fn(T):
        x = _x(T, (3, 4), grad=True)
        return x[1:][[0, 0, 1, 0], 1:] * 2, [x]

    assert_same(fn)
    assert_same(_get(lambda T: ([0, 0, 2, 0], [1, 1, 3, 1]), (3, 4)))


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8"])
def test_getitem_keeps_the_dtype(dtype):
    assert_same(lambda T: _x(T, (3, 4), "float64").to(getattr(T, dtype))[[0, 2], 1:])


def test_cross_entropy_style_range_index_as_torch():
    """scores[range(n), y] (issue 14: "What is torch.nn really?")."""

    def fn(T):
        scores = _x(T, (5, 3), grad=True)
        y = _i(T, [0, 2, 1, 1, 0])
        return -scores.log_softmax(1)[range(5), y].mean(), [scores]

    assert_same(fn)


SETITEM = {
    "int-slice-list": (lambda T: (1, slice(None), [0, 1, 2]), lambda T: _v(T, (4, 3))),
    "int-slice-list-wrong-shape": (lambda T: (1, slice(None), [0, 1, 2]), lambda T: _v(T, (3, 4))),
    "lists-separated-by-slice": (lambda T: ([0, 1], slice(None), [0, 1]), lambda T: _v(T, (2, 4))),
    "lists-separated-wrong-shape": (lambda T: ([0, 1], slice(None), [0, 1]), lambda T: _v(T, (4, 2))),
    "repeated-rows-last-wins": (lambda T: ([0, 0, 1],), lambda T: _v(T, (3, 4, 5))),
    "repeated-elements": (lambda T: ([0, 0, 1], [1, 1, 2], [2, 2, 0]), lambda T: _v(T, (3,))),
    "leading-ones-dropped": (lambda T: 0, lambda T: _v(T, (1, 1, 4, 5))),
    "leading-ones-dropped-adv": (lambda T: [0], lambda T: _v(T, (1, 1, 1, 4, 5))),
    "broadcast-value": (lambda T: (slice(None), [0, 2]), lambda T: _v(T, (5,))),
    "basic-value-too-many-dims": (lambda T: 0, lambda T: _v(T, (2, 4, 5))),
    "basic-value-wrong-size": (lambda T: 0, lambda T: _v(T, (4, 4))),
    "adv-value-wrong-shape": (lambda T: [0, 1], lambda T: _v(T, (3, 4, 5))),
    "mask-scalar": (lambda T: _x(T) > 10, lambda T: 2.5),
    "mask-0d-value-other-dtype": (lambda T: _x(T) > 10, lambda T: _v(T, (), "float32")),
    "mask-1-element-other-dtype": (lambda T: _x(T) > 10, lambda T: _v(T, (1,), "float32")),
    "mask-values": (lambda T: (_x(T) > 10)[:, :, 0], lambda T: _v(T, (5,))),
    "mask-value-wrong-shape": (lambda T: _x(T) > 100, lambda T: _v(T, (2,))),
    "uint8-mask-scalar": (lambda T: _i(T, [1, 0, 1], "uint8"), lambda T: 1.0),
    "uint8-mask-values": (lambda T: _i(T, [1, 0, 1], "uint8"), lambda T: _v(T, (2, 4, 5))),
    "True": (lambda T: True, lambda T: _v(T, (5,))),
    "True-other-dtype": (lambda T: True, lambda T: _v(T, (5,), "float32")),
    "True-in-tuple-other-dtype": (lambda T: (True,), lambda T: _v(T, (5,), "float32")),
    "False-anything": (lambda T: False, lambda T: _v(T, (7,))),
    "False-bad-value-type": (lambda T: False, lambda T: [1.0]),
    "None": (lambda T: None, lambda T: _v(T, (1, 3, 4, 5))),
    "Ellipsis": (lambda T: Ellipsis, lambda T: 3.0),
    "Ellipsis-int-Ellipsis": (lambda T: (Ellipsis, 1, Ellipsis), lambda T: _v(T, (3, 4))),
    "empty-list": (lambda T: [], lambda T: 1.0),
    "nested-list": (lambda T: [[0, 1], [2, 0]], lambda T: 5.0),
    "range-and-list": (lambda T: (range(2), [1, 2]), lambda T: _v(T, (2, 5))),
    "adv-other-dtype": (lambda T: [0, 1], lambda T: _v(T, (4, 5), "float32")),
    "adv-int-value": (lambda T: [0, 1], lambda T: _i(T, [1, 2, 3, 4, 5])),
    "basic-other-dtype-casts": (lambda T: (0, slice(0, 2)), lambda T: _v(T, (2, 5), "float32")),
    "basic-int-value-casts": (lambda T: (0, 0), lambda T: _i(T, [1, 2, 3, 4, 5])),
    "out-of-range-int": (lambda T: 5, lambda T: 1.0),
    "out-of-range-list": (lambda T: [5], lambda T: 1.0),
    "out-of-range-and-wrong-value-shape": (lambda T: (slice(None), [7]), lambda T: _v(T, (4, 3))),
    "out-of-range-and-other-dtype": (lambda T: [-4], lambda T: _v(T, (1,), "float32")),
    "negative-step": (lambda T: slice(None, None, -1), lambda T: 1.0),
    "list-value": (lambda T: [0], lambda T: [1.0]),
    "ndarray-value": (lambda T: [0], lambda T: np.array([1.0])),
    "str-value": (lambda T: 0, lambda T: "a"),
    "None-value": (lambda T: [0], lambda T: None),
    "bool-value": (lambda T: [0], lambda T: True),
    "numpy-float32-value": (lambda T: [0], lambda T: np.float32(2.5)),
    "numpy-float64-value": (lambda T: [0], lambda T: np.float64(2.5)),
    "numpy-int-value": (lambda T: [0], lambda T: np.int32(2)),
    "numpy-bool-value": (lambda T: [0], lambda T: np.bool_(True)),
    "0d-tensor-value": (lambda T: (slice(None), 1), lambda T: _v(T, ())),
}


@pytest.mark.parametrize("name", list(SETITEM))
def test_setitem_as_torch(name):
    key, value = SETITEM[name]
    assert_same(_set(key, value))


@pytest.mark.parametrize(
    "dtype,value",
    [
        ("int8", 300),
        ("int8", -129),
        ("uint8", -1),
        ("uint8", 256),
        ("uint8", -2.5),
        ("int32", 2**40),
        ("int64", 1e30),
        ("int64", float("nan")),
        ("int16", np.int64(40000)),
        ("int64", 2**70),
        ("float32", 2**70),
        ("int32", 2.7),
        ("bool", 2),
        ("float16", 1e30),
    ],
)
def test_setitem_scalar_conversion_as_torch(dtype, value):
    def fn(T):
        x = T.zeros(3, dtype=getattr(T, dtype))
        x[[0, 1]] = value
        x[2] = value
        return x

    assert_same(fn)


def test_augmented_assignment_with_repeated_indices_does_not_accumulate():
    """x[idx] += v reads, adds and writes back: a repeated index is written once (torch's and Python's rule);
    index_put_(accumulate=True) adds every repeat."""

    def augmented(T):
        x = _x(T, (4,), grad=True)
        y = x * 1
        y[[0, 0, 1]] += 1
        return y, [x]

    def accumulated(T):
        x = _x(T, (4,), grad=True)
        v = _v(T, (3,))
        return (x * 1).index_put_((_i(T, [0, 0, 1]),), v, accumulate=True), [x, v]

    assert_same(augmented)
    assert_same(accumulated)


OVERLAPS = {
    "shifted-1d": lambda T, x: x.__setitem__(slice(1, None), x[:-1]),
    "same-place": lambda T, x: x.__setitem__(0, x[0]),
    "whole": lambda T, x: x.__setitem__(slice(None), x),
    "transposed": lambda T, x: x.view(3, 3)[:].__setitem__(slice(None), x.view(3, 3).t()),
    "disjoint": lambda T, x: x.__setitem__(slice(None, 3), x[6:]),
    "rows": lambda T, x: x.view(3, 3).__setitem__(1, x.view(3, 3)[0]),
    "one-element": lambda T, x: x.__setitem__(slice(1, 3), x[0]),
    "index-into-own-slice": lambda T, x: x.__setitem__([1, 2], x[:2]),
    "index-from-copy": lambda T, x: x.__setitem__([1, 2], x[[0, 1]]),
    "mask-from-element": lambda T, x: x.__setitem__(x > 4, x[0]),
    "row-into-flat": lambda T, x: x.__setitem__(slice(1, 4), x.view(3, 3)[0]),
}


@pytest.mark.parametrize("name", list(OVERLAPS))
def test_setitem_from_overlapping_memory_as_torch(name):
    def fn(T):
        x = T.arange(9.0, dtype=T.float64)
        OVERLAPS[name](T, x)
        return x

    assert_same(fn)


def test_setitem_on_a_leaf_that_requires_grad_is_refused_like_torch():
    def fn(T):
        x = _x(T, (3,), grad=True)
        x[[0]] = 1.0
        return x

    assert_same(fn, message=False)


def test_setitem_of_a_value_that_requires_grad_into_a_plain_tensor():
    def fn(T):
        x = _x(T, (3, 4))
        v = _v(T, (4,))
        x[[0, 2]] = v
        x[1, 1:3] = v[:2] * 2
        return x, [v]

    assert_same(fn)


def test_indexing_warnings_match_torch():
    for key in (lambda T: [[0, 1], [2, 0]], lambda T: _i(T, [1, 0, 1], "uint8")):
        caught = {}
        for T in (torch, ember):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                _x(T)[key(T)]
            caught[T] = [
                str(m.message).split(" (Triggered internally")[0] for m in w if issubclass(m.category, UserWarning)
            ]
        assert caught[ember] == caught[torch]


def test_uint8_index_warning_points_at_the_callers_line():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.zeros(3)[ember.tensor([1, 0, 1], dtype=ember.uint8)]
    assert w[0].filename == __file__


INDEX_PUT = {
    "accumulate-repeats": lambda T: (_x(T, (3, 4), grad=True) * 1).index_put(
        (_i(T, [0, 0, 2]), _i(T, [1, 1, 3])), _v(T, (3,)), accumulate=True
    ),
    "separated-indices": lambda T: T.index_put(_x(T, grad=True) * 1, (_i(T, [0, 1]), _i(T, [1, 2])), _v(T, (2, 5))),
    "0d-index": lambda T: _x(T, (3, 4)).index_put((T.tensor(0),), _v(T, ())),
    "mask-accumulate": lambda T: _x(T, (3, 4)).index_put((_x(T, (3, 4)) > 0,), _v(T, ()), accumulate=True),
    "int32-index": lambda T: _x(T, (3, 4)).index_put((_i(T, [0, 1], "int32"),), _v(T, (4,))),
    "int16-index": lambda T: _x(T, (3, 4)).index_put((_i(T, [0, 1], "int16"),), _v(T, (4,))),
    "float-index": lambda T: _x(T, (3, 4)).index_put((T.tensor([0.0]),), _v(T, ())),
    "other-dtype": lambda T: _x(T, (3, 4)).index_put((_i(T, [0]),), _v(T, (1,), "float32")),
    "scalar-value": lambda T: _x(T, (3, 4)).index_put((_i(T, [0]),), 1.0),
    "None-in-indices": lambda T: _x(T, (3, 4)).index_put((None, _i(T, [0])), _v(T, ())),
    "list-in-indices": lambda T: _x(T, (3, 4)).index_put(([0, 1],), _v(T, ())),
    "too-many-indices": lambda T: _x(T, (3, 4)).index_put((_i(T, [0]),) * 3, _v(T, ())),
    "out-of-range": lambda T: _x(T, (3, 4)).index_put((_i(T, [5]),), _v(T, ()), accumulate=True),
    "value-wrong-shape": lambda T: _x(T, (3, 4)).index_put((_i(T, [0, 1]),), _v(T, (3,))),
    "value-leading-ones-kept": lambda T: _x(T, (3, 4)).index_put((_i(T, [0, 1]),), _v(T, (1, 1, 4))),
    "one-element-value-too-many-dims": lambda T: _x(T, (3, 4)).index_put((_i(T, [0, 1]),), _v(T, (1, 1, 1))),
    "one-element-value-through-mask": lambda T: _x(T, (3, 4)).index_put(
        (_x(T, (3, 4)) > 0,), _v(T, (1, 1, 1)).detach()
    ),
    "in-place-list-of-indices": lambda T: (_x(T, (3, 4), grad=True) * 1).index_put_([_i(T, [2, 0])], _v(T, (4,))),
}


@pytest.mark.parametrize("name", list(INDEX_PUT))
def test_index_put_as_torch(name):
    fn = INDEX_PUT[name]

    def with_grads(T):
        T.manual_seed(0)
        out = fn(T)
        leaves = [t for t in _leaves(out) if t.requires_grad]
        return out, leaves

    assert_same(with_grads)


def _leaves(t):
    """The leaf tensors a result was built from (for the gradient comparison)."""
    seen, stack, leaves = set(), [t.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if hasattr(node, "variable"):
            leaves.append(node.variable)
        stack.extend(n for n, _ in node.next_functions)
    return leaves


# --- gather / scatter and friends ------------------------------------------------------------------


def _m(T, shape=(3, 4), grad=True):
    return _x(T, shape, grad=grad)


OPS = {
    "gather": lambda T: _m(T).gather(1, _i(T, [[0, 2], [1, 1], [3, 0]])),
    "gather-negative": lambda T: _m(T).gather(0, _i(T, [[-1, 0]])),
    "gather-too-large": lambda T: _m(T).gather(1, _i(T, [[5, 0]])),
    "gather-int32": lambda T: _m(T).gather(1, _i(T, [[1, 0]], "int32")),
    "gather-int16": lambda T: _m(T).gather(1, _i(T, [[1, 0]], "int16")),
    "gather-ranks-differ": lambda T: _m(T).gather(0, _i(T, [0, 1])),
    "gather-index-too-big": lambda T: _m(T).gather(1, T.zeros(4, 2, dtype=T.long)),
    "gather-longer-along-dim": lambda T: _m(T).gather(1, T.zeros(3, 6, dtype=T.long)),
    "gather-empty-index": lambda T: _m(T).gather(0, T.zeros(0, 4, dtype=T.long)),
    "gather-0d": lambda T: _m(T, ()).gather(0, T.tensor(0)),
    "gather-0d-input-1d-index": lambda T: _m(T, ()).gather(0, _i(T, [0, 0])),
    "scatter": lambda T: _m(T).scatter(1, _i(T, [[0, 2], [1, 3], [3, 0]]), _v(T, (3, 2))),
    "scatter-negative": lambda T: _m(T).scatter(0, _i(T, [[-1, 0]]), 1.0),
    "scatter-too-large": lambda T: _m(T).scatter(0, _i(T, [[3, 0]]), _v(T, (1, 2))),
    "scatter-value": lambda T: _m(T).scatter(0, _i(T, [[2, 1]]), 1.5),
    "scatter-value-keyword": lambda T: _m(T).scatter(0, _i(T, [[2, 1]]), value=1.5),
    "scatter-src-keyword": lambda T: _m(T).scatter(0, _i(T, [[2, 1]]), src=_v(T, (1, 2))),
    "scatter-float-value-into-int": lambda T: _m(T, grad=False).long().scatter(0, _i(T, [[1, 1]]), 3.7),
    "scatter-int32-index": lambda T: _m(T).scatter(0, _i(T, [[1, 1]], "int32"), 2.0),
    "scatter-int16-index": lambda T: _m(T).scatter(0, _i(T, [[1, 1]], "int16"), 2.0),
    "scatter-src-other-dtype": lambda T: _m(T).scatter(0, _i(T, [[1, 0]]), _v(T, (1, 2), "float32")),
    "scatter-0d-src": lambda T: _m(T).scatter(0, _i(T, [[1, 0]]), _v(T, ())),
    "scatter-src-too-small": lambda T: _m(T).scatter(1, T.zeros(3, 2, dtype=T.long), _v(T, (2, 2))),
    "scatter-ranks-differ": lambda T: _m(T).scatter(0, _i(T, [0, 1]), 3.0),
    "scatter-0d": lambda T: _m(T, ()).scatter(0, T.tensor(0), 1.0),
    "scatter-reduce-add": lambda T: _m(T, grad=False).scatter(
        0, _i(T, [[1, 1]]), _v(T, (1, 2), "float64"), reduce="add"
    ),
    "scatter-reduce-multiply": lambda T: _m(T, grad=False).scatter(0, _i(T, [[1, 1]]), 2.0, reduce="multiply"),
    "scatter-reduce-mean-refused": lambda T: _m(T, grad=False).scatter(0, _i(T, [[1, 1]]), 2.0, reduce="mean"),
    "scatter-reduce-has-no-derivative": lambda T: _m(T).scatter(0, _i(T, [[1, 1]]), 2.0, reduce="add").sum().backward(),
    "scatter_-value": lambda T: (_m(T) * 1).scatter_(0, _i(T, [[1, 1]]), 2.0),
    "scatter_-reduce": lambda T: _m(T, grad=False).scatter_(0, _i(T, [[1, 1]]), _v(T, (1, 2)).detach(), reduce="add"),
    "scatter_add": lambda T: _m(T).scatter_add(1, _i(T, [[0, 0], [1, 3], [3, 3]]), _v(T, (3, 2))),
    "scatter_add-negative": lambda T: _m(T).scatter_add(0, _i(T, [[-1, 0]]), _v(T, (1, 2))),
    "scatter_add-too-large": lambda T: _m(T).scatter_add(0, _i(T, [[4, 0]]), _v(T, (1, 2))),
    "scatter_add-int32-index": lambda T: _m(T).scatter_add(1, _i(T, [[1, 0]], "int32"), _v(T, (1, 2))),
    "scatter_add-other-dtype": lambda T: _m(T).scatter_add(0, _i(T, [[1, 1]]), _v(T, (1, 2), "float32")),
    "scatter_add-src-larger": lambda T: T.zeros(5, dtype=T.float64).scatter_add(0, _i(T, [0, 0, 4]), _v(T, (4,))),
    "index_select": lambda T: _m(T).index_select(0, _i(T, [2, 0, 2])),
    "index_select-negative": lambda T: _m(T).index_select(0, _i(T, [-1])),
    "index_select-too-large": lambda T: _m(T).index_select(0, _i(T, [3])),
    "index_select-int32": lambda T: _m(T).index_select(1, _i(T, [3, 1], "int32")),
    "index_select-int16": lambda T: _m(T).index_select(0, _i(T, [1], "int16")),
    "index_select-2d-index": lambda T: _m(T).index_select(0, _i(T, [[1]])),
    "index_select-0d-index": lambda T: _m(T).index_select(0, T.tensor(1)),
    "index_select-0d-input": lambda T: _m(T, ()).index_select(0, _i(T, [0])),
    "index_select-0d-input-out-of-range": lambda T: _m(T, ()).index_select(0, _i(T, [1])),
    "index_add": lambda T: _m(T).index_add(0, _i(T, [2, 0, 2]), _v(T, (3, 4))),
    "index_add-negative": lambda T: _m(T).index_add(0, _i(T, [-1]), _v(T, (1, 4))),
    "index_add-too-large": lambda T: _m(T).index_add(0, _i(T, [3]), _v(T, (1, 4))),
    "index_add-int32": lambda T: _m(T).index_add(0, _i(T, [1], "int32"), _v(T, (1, 4))),
    "index_add-int16": lambda T: _m(T).index_add(0, _i(T, [1], "int16"), _v(T, (1, 4))),
    "index_add-other-dtype": lambda T: _m(T).index_add(0, _i(T, [1]), _v(T, (1, 4), "float32")),
    "index_add-2d-index": lambda T: _m(T).index_add(0, _i(T, [[1]]), _v(T, (1, 4))),
    "index_add-too-many-rows": lambda T: _m(T).index_add(0, _i(T, [1]), _v(T, (2, 4))),
    "index_add-0d-source": lambda T: _m(T, (4,)).index_add(0, T.tensor(1), _v(T, ())),
    "index_add-source-rank-differs": lambda T: _m(T).index_add(0, _i(T, [1]), _v(T, (4,))),
    "index_add-source-shape-differs": lambda T: _m(T).index_add(0, _i(T, [1]), _v(T, (1, 3))),
    "index_add-alpha": lambda T: T.index_add(_m(T), 1, _i(T, [1, 1]), _v(T, (3, 2)), alpha=2),
    "index_add-int-alpha": lambda T: T.zeros(4, dtype=T.long).index_add(
        0, _i(T, [1, 1]), T.ones(2, dtype=T.long), alpha=2.5
    ),
    "index_copy": lambda T: _m(T).index_copy(0, _i(T, [2, 0]), _v(T, (2, 4))),
    "index_copy-negative": lambda T: _m(T).index_copy(0, _i(T, [-1]), _v(T, (1, 4))),
    "index_copy-too-large": lambda T: _m(T).index_copy(0, _i(T, [3]), _v(T, (1, 4))),
    "index_copy-int32": lambda T: _m(T).index_copy(0, _i(T, [1], "int32"), _v(T, (1, 4))),
    "index_copy-other-dtype": lambda T: _m(T).index_copy(0, _i(T, [1]), _v(T, (1, 4), "float32")),
    "index_copy-too-many-rows": lambda T: _m(T).index_copy(0, _i(T, [1]), _v(T, (2, 4))),
    "index_copy-0d": lambda T: _m(T, (4,)).index_copy(0, T.tensor(1), _v(T, ())),
    "index_copy-0d-source-two-indices": lambda T: _m(T, (4,)).index_copy(0, _i(T, [1, 2]), _v(T, ())),
    "index_copy-ranks-differ": lambda T: _m(T, (4,)).index_copy(0, _i(T, [1]), _v(T, (1, 1))),
    "index_copy-slice-shapes-differ": lambda T: _m(T).index_copy(0, _i(T, [1]), _v(T, (1, 3))),
    "index_fill": lambda T: _m(T).index_fill(1, _i(T, [0, 3]), -1.0),
    "index_fill-negative-wraps": lambda T: _m(T).index_fill(0, _i(T, [-1]), 2.0),
    "index_fill-below-range": lambda T: _m(T).index_fill(0, _i(T, [-4]), 2.0),
    "index_fill-too-large": lambda T: _m(T).index_fill(0, _i(T, [3]), 2.0),
    "index_fill-int32": lambda T: _m(T).index_fill(0, _i(T, [1], "int32"), 2.0),
    "index_fill-2d-index": lambda T: _m(T).index_fill(0, _i(T, [[1]]), 2.0),
    "index_fill-tensor-value-grad": lambda T: _m(T).index_fill(0, _i(T, [1, 1, 2]), _v(T, ())),
    "index_fill-1d-value": lambda T: _m(T).index_fill(0, _i(T, [1]), _v(T, (1,))),
    "index_fill-float-into-int": lambda T: T.zeros(4, dtype=T.long).index_fill(0, _i(T, [1]), 2.7),
    "take": lambda T: _m(T).take(_i(T, [[0, 11], [5, 5]])),
    "take-negative-wraps": lambda T: _m(T).take(_i(T, [-1, -12])),
    "take-too-large": lambda T: _m(T).take(_i(T, [12])),
    "take-below-range": lambda T: _m(T).take(_i(T, [-13])),
    "take-int32": lambda T: _m(T).take(_i(T, [1], "int32")),
    "take-0d": lambda T: _m(T, ()).take(T.tensor(0)),
    "take-from-empty": lambda T: T.zeros(0).take(_i(T, [0])),
    "take-empty-from-empty": lambda T: T.zeros(0).take(_i(T, [])),
    "take_along_dim": lambda T: T.take_along_dim(_m(T), _i(T, [[0], [3], [2]]), 1),
    "take_along_dim-negative-dim": lambda T: T.take_along_dim(_m(T, (2, 3)), _i(T, [[0], [1]]), dim=-1),
    "take_along_dim-dim-minus-2": lambda T: T.take_along_dim(_m(T, (2, 2, 2)), _i(T, [[[0, 1]], [[1, 0]]]), dim=-2),
    "take_along_dim-no-dim": lambda T: T.take_along_dim(_m(T), _i(T, [[4], [0], [11]])),
    "take_along_dim-no-dim-negative": lambda T: T.take_along_dim(_m(T), _i(T, [[-1], [0], [1]])),
    "take_along_dim-indices-wrap": lambda T: T.take_along_dim(_m(T), _i(T, [[-1], [5], [-13]]), 1),
    "take_along_dim-broadcast": lambda T: T.take_along_dim(_m(T, (1, 4)), _i(T, [[0], [3], [2]]), 1),
    "take_along_dim-broadcast-index": lambda T: T.take_along_dim(_m(T, (2, 2, 2)), _i(T, [[[0], [1]]]), dim=2),
    "take_along_dim-int32": lambda T: T.take_along_dim(_m(T), _i(T, [[0]], "int32"), 1),
    "take_along_dim-float": lambda T: T.take_along_dim(_m(T), T.tensor([[0.0]]), 1),
    "take_along_dim-ranks-differ": lambda T: T.take_along_dim(_m(T, (2, 2, 2)), _i(T, [[0], [1]]), 2),
    "take_along_dim-dim-out-of-range": lambda T: T.take_along_dim(_m(T), _i(T, [[0]]), 2),
    "take_along_dim-0d": lambda T: T.take_along_dim(_m(T, ()), T.tensor(0), 0),
    "take_along_dim-0d-no-dim": lambda T: T.take_along_dim(_m(T, ()), T.tensor(0)),
    "take_along_dim-method": lambda T: _m(T).take_along_dim(_i(T, [[1, 0]]), dim=0),
    "masked_fill": lambda T: _m(T).masked_fill(_m(T, grad=False) > 0, -1.0),
    "masked_fill-uint8": lambda T: _m(T).masked_fill(T.ones(3, 4, dtype=T.uint8), 1.0),
    "masked_fill-0d-mask": lambda T: _m(T).masked_fill(T.tensor(True), 1.0),
    "masked_fill-larger-mask": lambda T: _m(T).masked_fill(T.ones(2, 3, 4, dtype=T.bool), 1.0),
    "masked_fill-tensor-value-grad": lambda T: _m(T).masked_fill(T.tensor([True, False, True, False]), _v(T, ())),
    "masked_select": lambda T: _m(T).masked_select(_m(T, grad=False) > 0),
    "masked_select-broadcast": lambda T: _m(T).masked_select(T.tensor([True, False, True, False])),
    "masked_select-larger-mask": lambda T: _m(T).masked_select(T.ones(2, 3, 4, dtype=T.bool)),
    "masked_select-uint8": lambda T: _m(T).masked_select(T.ones(3, 4, dtype=T.uint8)),
    "masked_scatter": lambda T: _m(T).masked_scatter(_m(T, grad=False) > 0, _v(T, (3, 5))),
    "masked_scatter-short-source": lambda T: _m(T).masked_scatter(_m(T, grad=False) > -2, _v(T, (2,))),
    "masked_scatter-uint8": lambda T: _m(T).masked_scatter((_m(T, grad=False) > 0).byte(), _v(T, (20,))),
    "masked_scatter-other-dtype": lambda T: _m(T).masked_scatter(_m(T, grad=False) > 0, T.arange(20)),
    "masked_scatter-broadcast-mask": lambda T: _m(T).masked_scatter(T.tensor([True, False, True, False]), _v(T, (20,))),
    "masked_scatter-larger-mask": lambda T: _m(T, (4,)).masked_scatter(T.ones(2, 4, dtype=T.bool), _v(T, (8,))),
    "masked_scatter_-larger-mask": lambda T: (_m(T, (4,)) * 1).masked_scatter_(T.ones(2, 4, dtype=T.bool), _v(T, (8,))),
    "bincount-2d": lambda T: T.bincount(_i(T, [[1, 2]])),
    "bincount-negative": lambda T: T.bincount(_i(T, [-1, 2])),
    "bincount-float": lambda T: T.bincount(T.tensor([1.0, 2.0])),
    "bincount-uint8": lambda T: T.bincount(_i(T, [1, 2, 2], "uint8"), minlength=5),
    "bincount-weights-length": lambda T: T.bincount(_i(T, [1, 2]), T.ones(3)),
    "bincount-weights-float32": lambda T: T.bincount(_i(T, [1, 2, 1]), T.tensor([0.5, 1.0, 0.25])),
    "bincount-weights-int": lambda T: T.bincount(_i(T, [1, 2, 1]), _i(T, [3, 1, 2])),
    "bincount-negative-minlength": lambda T: T.bincount(_i(T, [1, 2]), minlength=-1),
    "bincount-empty": lambda T: T.bincount(_i(T, [])),
}


@pytest.mark.parametrize("name", list(OPS))
def test_index_op_as_torch(name):
    fn = OPS[name]

    def with_grads(T):
        out = fn(T)
        if not isinstance(out, T.Tensor):
            return out
        return out, [t for t in _leaves(out) if t.requires_grad]

    # torch's messages for these come from deeper checks that ember words its own way
    assert_same(
        with_grads, message=name not in ("scatter-0d-src", "scatter-ranks-differ", "masked_scatter_-larger-mask")
    )


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_gradients_as_torch(reduce, include_self):
    """Ties for amax/amin share the gradient; zeros (one, or two at a place) in prod; counts in mean."""

    def fn(T):
        x = T.tensor([[1.0, 0.0, 2.0, 3.0], [4.0, 5.0, 5.0, 0.5]], dtype=T.float64, requires_grad=True)
        src = T.tensor([[5.0, 0.0, 2.0, 3.0, 2.0], [4.0, 0.0, 0.0, 5.0, 1.5]], dtype=T.float64, requires_grad=True)
        index = _i(T, [[0, 1, 0, 3, 0], [2, 2, 2, 1, 1]])
        return x.scatter_reduce(1, index, src, reduce, include_self=include_self), [x, src]

    assert_same(fn)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_of_integers_as_torch(reduce, include_self):
    """Integer means floor, as torch."""
    assert_same(
        lambda T: _i(T, [10, -7, 3, 4]).scatter_reduce(
            0, _i(T, [0, 0, 1, 1, 1, 0]), _i(T, [1, 2, -3, 4, 5, 2]), reduce, include_self=include_self
        )
    )


@pytest.mark.parametrize("reduce", ["max", "min", "foo", "add"])
def test_scatter_reduce_names_as_torch(reduce):
    """torch's forward also takes max/min (its backward refuses them); other names are refused."""

    def fn(T):
        src = _v(T, (2,))
        out = T.zeros(4, dtype=T.float64).scatter_reduce(0, _i(T, [0, 1]), src, reduce)
        return out, [src]

    assert_same(fn)


def test_scatter_reduce_in_place_and_of_a_larger_src():
    def fn(T):
        x = _m(T, (4,))
        src = _v(T, (3,))
        y = x * 1
        y.scatter_reduce_(0, _i(T, [1, 1, 3]), src, "amax")
        return y, [x, src]

    assert_same(fn)
    assert_same(
        lambda T: T.zeros(4, dtype=T.float64).scatter_reduce(0, _i(T, [0, 1]), _v(T, (5,), "float64").detach(), "prod")
    )


def test_scatter_with_reduce_and_a_tensor_src_warns_as_torch():
    # torch words it so, once a process (TORCH_WARN_ONCE): another test may have had torch's warning already
    with pytest.warns(
        UserWarning,
        match="The reduce argument of torch.scatter with Tensor src is deprecated and "
        "will be removed in a future PyTorch release. Use torch.scatter_reduce",
    ):
        ember.zeros(4).scatter(0, ember.tensor([0, 1]), ember.ones(2), reduce="add")
