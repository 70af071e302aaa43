"""Result dtypes and signed zeros as torch's: tensor() inference from NumPy scalars and arrays, promotion
in where/cat/pow/hypot, integer nansum, and the ops whose zeros keep the input's sign."""

import numpy as np
import pytest

import ember
from oracle import torch


def _c(T):
    return T.tensor([True, False])


CASES = [
    ("where-two-python-scalars", lambda T: T.where(_c(T), 1.0, 0)),
    ("where-two-ints", lambda T: T.where(_c(T), 1, 0)),
    ("where-float16-and-scalar", lambda T: T.where(_c(T), T.ones(2, dtype=T.float16), 2.5)),
    ("where-int32-and-float-scalar", lambda T: T.where(_c(T), T.ones(2, dtype=T.int32), 2.5)),
    ("tensor-np-float64", lambda T: T.tensor(np.float64(1))),
    ("tensor-np-int8", lambda T: T.tensor(np.int8(3))),
    ("tensor-list-np-int32", lambda T: T.tensor([np.int32(1)])),
    ("tensor-list-np-int32-python-int", lambda T: T.tensor([np.int32(1), 2])),
    ("tensor-list-np-float64-int", lambda T: T.tensor([1, np.float64(2)])),
    ("tensor-list-np-float32-float", lambda T: T.tensor([np.float32(1), 2.5])),
    ("tensor-list-np-float16", lambda T: T.tensor([np.float16(1)])),
    ("tensor-list-bool-np-int8", lambda T: T.tensor([True, np.int8(3)])),
    ("tensor-list-uint8-int8", lambda T: T.tensor([np.uint8(3), np.int8(3)])),
    ("tensor-list-of-arrays", lambda T: T.tensor(np.stack([np.ones(2), np.ones(2)]).tolist() + [np.ones(2)])),
    ("tensor-list-0d-int16-tensor-and-int", lambda T: T.tensor([T.tensor(1, dtype=T.int16), 3])),
    ("nansum-int64", lambda T: T.tensor([1, 2, 3]).nansum()),
    ("nansum-int32", lambda T: T.tensor([1, 2, 3], dtype=T.int32).nansum(0)),
    ("nansum-bool", lambda T: T.nansum(T.tensor([True, True]))),
    ("cat-empty-float16-with-int8", lambda T: T.cat([T.tensor([], dtype=T.float16), T.tensor([1, 2], dtype=T.int8)])),
    ("cat-bool-with-uint8", lambda T: T.cat([T.tensor([True]), T.tensor([3], dtype=T.uint8)])),
    ("bool-pow-true", lambda T: T.tensor([True, False]) ** True),
    ("bool-pow-false", lambda T: T.pow(T.tensor([True, False]), False)),
    ("bool-pow-2", lambda T: T.tensor([True, False]) ** 2),
    ("bool-pow-2.5", lambda T: T.tensor([True, False]) ** 2.5),
    ("int-pow-true", lambda T: T.tensor([2, 3]) ** True),
    ("int-rpow-bool", lambda T: 2 ** T.tensor([True, False])),
    (
        "hypot-float16-and-0d-float16",
        lambda T: T.hypot(T.tensor([300.0, 4.0], dtype=T.float16), T.tensor(400.0, dtype=T.float16)),
    ),
    ("hypot-float16-and-0d-float32", lambda T: T.hypot(T.tensor([300.0, 4.0], dtype=T.float16), T.tensor(400.0))),
    ("hypot-int32-and-float", lambda T: T.hypot(T.ones(2, dtype=T.int32), T.ones(2))),
    ("remainder-signed-zero", lambda T: T.tensor([-3.0, 3.0, -1.5, 0.0, -0.0, -2.0]) % 1.5),
    ("remainder-negative-divisor", lambda T: T.tensor([-3.0, 3.0, -1.5, 0.0, -0.0, 2.0]) % T.tensor(-1.5)),
    ("remainder-int", lambda T: T.tensor([-3, 3, 4]) % T.tensor([2, -2, 3])),
    ("softshrink-signed-zero", lambda T: T.nn.functional.softshrink(T.tensor([-0.5, -0.2, 0.2, 0.5, -0.0, 1.0]))),
    ("Softshrink-module", lambda T: T.nn.Softshrink(0.3)(T.tensor([-0.3, -0.1, 0.1, 0.7]))),
    ("lerp-weight-one-exact", lambda T: T.lerp(T.tensor([1.0, 1e8]), T.tensor([3.0, 1.0]), 1.0)),
]


# conversions to bfloat16 (ml_dtypes: the [amp] extra)
BFLOAT16_CASES = [
    ("bfloat16-method", lambda T: T.tensor([1.0, 1.00390625, -3.3e38, 1e-40]).bfloat16().float()),
    ("to-bfloat16", lambda T: T.tensor([0.1, 2.5]).to(T.bfloat16).float()),
]


@pytest.mark.parametrize("name,fn", BFLOAT16_CASES, ids=[c[0] for c in BFLOAT16_CASES])
def test_bfloat16_conversion_as_torch(name, fn):
    pytest.importorskip("ml_dtypes")
    test_result_dtype_and_signed_zeros_as_torch(name, fn)


def _plain(out):
    return str(out.dtype), out.numpy()


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_result_dtype_and_signed_zeros_as_torch(name, fn):
    (t_dtype, theirs), (e_dtype, ours) = _plain(fn(torch)), _plain(fn(ember))
    assert e_dtype == t_dtype
    np.testing.assert_array_equal(ours, theirs)
    if theirs.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


def test_remainder_gradient_unchanged_by_signed_zeros():
    x = ember.tensor([-3.0, 2.0, 0.5], requires_grad=True)
    (x % 1.5).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_legacy_tensor_types_check_the_dtype_as_torch():
    names = [
        "FloatTensor",
        "DoubleTensor",
        "HalfTensor",
        "LongTensor",
        "IntTensor",
        "ShortTensor",
        "CharTensor",
        "ByteTensor",
        "BoolTensor",
    ]
    for T in (torch, ember):
        tensors = [
            T.ones(2, dtype=d)
            for d in (T.float32, T.float64, T.float16, T.int64, T.int32, T.int16, T.int8, T.uint8, T.bool)
        ]
        table = [[isinstance(t, getattr(T, n)) for n in names] for t in tensors] + [
            [isinstance(x, getattr(T, n)) for n in names] for x in (1.0, [1.0], np.ones(2, np.float32))
        ]
        if T is torch:
            expected = table
    assert table == expected
    assert table[0][0] and not any(table[0][1:])
