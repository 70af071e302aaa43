"""dtypes: names, conversions, promotion, default dtype, against torch."""

import numpy as np
import pytest

import ember
from oracle import torch

NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("name", NAMES)
def test_dtype_repr_and_properties_match_torch(name):
    ours, theirs = getattr(ember, name), getattr(torch, name)
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.itemsize == theirs.itemsize
    assert ours.is_signed == theirs.is_signed


def test_aliases():
    assert ember.float is ember.float32 and ember.double is ember.float64 and ember.half is ember.float16
    assert ember.long is ember.int64 and ember.int is ember.int32 and ember.short is ember.int16


@pytest.mark.parametrize(
    "method,name",
    [
        ("float", "float32"),
        ("double", "float64"),
        ("half", "float16"),
        ("long", "int64"),
        ("int", "int32"),
        ("short", "int16"),
        ("bool", "bool"),
        ("byte", "uint8"),
        ("char", "int8"),
    ],
)
def test_conversion_methods(method, name):
    values = [[1.7, -2.2, 0.0], [3.5, 250.9, -0.5]]
    ours = getattr(ember.tensor(values), method)()
    theirs = getattr(torch.tensor(values), method)()
    assert str(ours.dtype) == str(theirs.dtype) == f"torch.{name}"
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_to_and_type():
    x = ember.tensor([1.5, 2.5])
    assert x.to(ember.float64).dtype == ember.float64
    assert x.to(ember.int64).tolist() == [1, 2]
    assert x.to(x) is x
    assert x.to(ember.zeros(1, dtype=ember.int32)).dtype == ember.int32
    assert x.to("cpu", ember.float16).dtype == ember.float16
    assert x.to(dtype=ember.float32) is x
    assert x.type() == torch.tensor([1.5]).type() == "torch.FloatTensor"
    assert x.type(ember.float64).dtype == ember.float64
    assert x.type("torch.LongTensor").dtype == ember.int64
    assert x.type_as(ember.zeros(1, dtype=ember.int16)).dtype == ember.int16
    assert x.double().type() == "torch.DoubleTensor"


def test_default_dtype():
    assert ember.get_default_dtype() is ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.0]).dtype == ember.float64
        assert ember.zeros(2).dtype == ember.float64
        assert (ember.tensor([1, 2]) * 0.5).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.ones(1).dtype == ember.float32
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


def test_is_floating_point_and_tensor_predicates():
    assert ember.is_floating_point(ember.ones(1)) and not ember.ones(1, dtype=ember.long).is_floating_point()
    assert ember.is_tensor(ember.ones(1)) and not ember.is_tensor(np.ones(1))
    assert ember.ones(2, 3).element_size() == 4 and ember.ones(2, dtype=ember.float64).itemsize == 8


def test_requires_grad_needs_float():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2], requires_grad=True)
