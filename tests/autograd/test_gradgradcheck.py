"""gradgradcheck when a first derivative does not depend on the inputs (a linear function): the
analytical and numerical Jacobians must cover the same outputs; a wrong second derivative still fails."""

import numpy as np
import pytest

import ember


def _x():
    return ember.tensor(np.random.default_rng(0).standard_normal(4), requires_grad=True)


@pytest.mark.parametrize(
    "fn",
    [lambda x: x * 3.0, lambda x: (x * x, x * 2.0), lambda x: x.sum() + x[1:].mul(2.0).sum()],
    ids=["linear", "quadratic-and-linear", "linear-sum"],
)
def test_gradgradcheck_with_constant_first_derivative(fn):
    assert ember.autograd.gradgradcheck(fn, (_x(),))


class CubeDetachedBackward(ember.autograd.Function):
    """x**3 whose backward is right to first order but cuts the graph (second derivative reads 0)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g.detach() * 3 * x.detach() ** 2


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = _x()
    assert ember.autograd.gradcheck(CubeDetachedBackward.apply, (x,))
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ember.autograd.gradgradcheck(CubeDetachedBackward.apply, (x,))
    assert not ember.autograd.gradgradcheck(CubeDetachedBackward.apply, (x,), raise_exception=False)
