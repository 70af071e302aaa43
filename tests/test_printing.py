"""repr/str of tensors equals torch's, character for character."""

import numpy as np
import pytest

import ember
from oracle import torch

CASES = [
    ("float-small", lambda T: T.tensor([1.0, 2.5, -3.25])),
    ("float-int-valued", lambda T: T.tensor([1.0, 2.0, 3.0])),
    ("float-mixed", lambda T: T.tensor([0.001, 1.5, 123.456])),
    ("float-large", lambda T: T.tensor([1e5, 2.0, 3.0])),
    ("float-sci", lambda T: T.tensor([1e-5, 1.0, 1e8])),
    ("float-tiny", lambda T: T.tensor([1e-10, 2e-10])),
    ("float-huge-ints", lambda T: T.tensor([1e10, 3e10])),
    ("float-neg-zero", lambda T: T.tensor([-0.0, 0.0, 1.5])),
    ("float-nan-inf", lambda T: T.tensor([float("nan"), float("inf"), -float("inf"), 1.5])),
    ("float-all-nan", lambda T: T.tensor([float("nan")])),
    ("float-2d", lambda T: T.arange(12, dtype=T.float32).reshape(3, 4) / 7),
    ("float-3d", lambda T: T.arange(24, dtype=T.float32).reshape(2, 3, 4) - 10),
    ("float-0d", lambda T: T.tensor(3.5)),
    ("float-0d-int-valued", lambda T: T.tensor(2.0)),
    ("int", lambda T: T.tensor([1, -20, 300])),
    ("int-2d", lambda T: T.arange(6).reshape(2, 3)),
    ("int-0d", lambda T: T.tensor(7)),
    ("int32", lambda T: T.tensor([1, 2], dtype=T.int32)),
    ("uint8", lambda T: T.tensor([1, 255], dtype=T.uint8)),
    ("int16-0d", lambda T: T.tensor(4, dtype=T.int16)),
    ("bool", lambda T: T.tensor([True, False])),
    ("bool-0d", lambda T: T.tensor(True)),
    ("float64", lambda T: T.tensor([1.5, 2.0], dtype=T.float64)),
    ("float64-0d", lambda T: T.tensor(1.25, dtype=T.float64)),
    ("float16", lambda T: T.tensor([1.5, 2.0], dtype=T.float16)),
    ("empty", lambda T: T.tensor([])),
    ("empty-2d", lambda T: T.zeros(0, 3)),
    ("empty-int", lambda T: T.zeros(0, dtype=T.int64)),
    ("empty-float64", lambda T: T.zeros(2, 0, dtype=T.float64)),
    ("requires-grad", lambda T: T.tensor([1.0, 2.0], requires_grad=True)),
    ("requires-grad-0d", lambda T: T.tensor(1.0, requires_grad=True)),
    ("grad-fn-mul", lambda T: T.tensor([1.0, 2.0], requires_grad=True) * 2),
    ("grad-fn-sum", lambda T: T.tensor([1.0, 2.0], requires_grad=True).sum()),
    ("grad-fn-float64", lambda T: T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True).exp()),
    ("large-summarised", lambda T: T.arange(2000, dtype=T.float32)),
    ("large-2d-summarised", lambda T: T.arange(10000).reshape(100, 100)),
    ("large-3d-summarised", lambda T: T.arange(3000, dtype=T.float32).reshape(10, 10, 30) / 3),
    ("wide-row-wraps", lambda T: T.arange(30, dtype=T.float32) * 1.5),
    ("wide-int-row-wraps", lambda T: T.arange(100) * 1000),
    ("negative-floats", lambda T: -T.arange(5, dtype=T.float32) / 3),
    ("column", lambda T: T.arange(4, dtype=T.float32).reshape(4, 1)),
    ("size-one-dims", lambda T: T.ones(1, 1, 2)),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_repr_matches_torch(name, fn):
    ours, theirs = fn(ember), fn(torch)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


def test_random_values_print_like_torch():
    a = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    assert repr(ember.tensor(a)) == repr(torch.tensor(a))
    assert repr(ember.tensor(a * 1e4)) == repr(torch.tensor(a * 1e4))
    assert repr(ember.tensor(a * 1e-4)) == repr(torch.tensor(a * 1e-4))


def test_set_printoptions_and_profile_reset():
    x = [1.123456789, 22.5, -0.3333]
    try:
        for T in (ember, torch):
            T.set_printoptions(precision=2)
        assert repr(ember.tensor(x)) == repr(torch.tensor(x))
        for T in (ember, torch):
            T.set_printoptions(threshold=5, edgeitems=2)
        assert repr(ember.arange(10.0)) == repr(torch.arange(10.0))
        for T in (ember, torch):
            T.set_printoptions(sci_mode=True)
        assert repr(ember.tensor(x)) == repr(torch.tensor(x))
        for T in (ember, torch):
            T.set_printoptions(linewidth=40)
        assert repr(ember.arange(20.0)) == repr(torch.arange(20.0))
    finally:
        for T in (ember, torch):
            T.set_printoptions(profile="default")
    assert repr(ember.tensor(x)) == repr(torch.tensor(x))
    assert repr(ember.arange(2000.0)) == repr(torch.arange(2000.0))
    try:
        for T in (ember, torch):
            T.set_printoptions(profile="short")
        assert repr(ember.tensor(x)) == repr(torch.tensor(x))
    finally:
        for T in (ember, torch):
            T.set_printoptions(profile="default")


def test_parameter_and_format():
    assert f"{ember.tensor(2.5):.3f}" == f"{torch.tensor(2.5):.3f}"
    assert repr(ember.Size([2, 3])) == repr(torch.Size([2, 3]))
