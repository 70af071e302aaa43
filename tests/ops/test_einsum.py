"""einsum with '...' (broadcast dims) and implicit outputs: values and gradients vs torch,
plus a float64 gradcheck and double backward."""

import numpy as np
import pytest

import ember
from oracle import check

CASES = [
    ("...j,...j->...", [(4, 3), (4, 3)]),
    ("...j,...j->...", [(1, 3), (4, 3)]),  # ellipsis dims broadcast
    ("...ij,jk", [(2, 5, 3), (3, 4)]),  # implicit output: ellipsis dims first
    ("i...->...", [(2, 5, 3)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("...ii->...i", [(2, 3, 3)]),  # ellipsis and a diagonal
    ("ij...,jk...->ik...", [(2, 3, 5), (3, 4, 1)]),
    ("...,...", [(3,), (2, 3)]),
]


@pytest.mark.parametrize("equation,shapes", CASES, ids=[c[0] for c in CASES])
def test_einsum_ellipsis_matches_torch(equation, shapes):
    check(lambda T, *xs: T.einsum(equation, *xs), shapes)


def test_einsum_ellipsis_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    b = ember.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    fn = lambda a, b: ember.einsum("...ij,jk->...ik", a, b)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (a, b))
    assert ember.autograd.gradgradcheck(fn, (a, b))
