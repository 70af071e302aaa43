"""ember.autograd.gradcheck (float64 central differences) over the oracle table's differentiable ops,
plus gradgradcheck (second derivatives) for a few ops."""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from oracle import make_inputs
from op_table import ROWS

# mode picks among tied values: perturbing one of the ties changes which value wins, so it has no
# derivative for finite differences to check
NOT_SMOOTH = {"mode", "mode-dim0"}
# a float64 -> float32/float16 (complex64) round trip: finite differences see the rounding, not the derivative
LOSSY = {"float", "half", "cfloat"}
CHECKED = [r for r in ROWS if r[0] not in NOT_SMOOTH | LOSSY]


def _leaves(shapes, opts):
    arrays = (
        shapes(np.float64)
        if callable(shapes)
        else make_inputs(shapes, np.float64, low=opts.get("low", -2.0), high=opts.get("high", 2.0))
    )
    return [ember.tensor(a, requires_grad=True) for a in arrays]


def _as_real_function(fn, leaves):
    """fn on real leaves: a complex input is given as its (..., 2) real view and a complex output returned
    as one, so that finite differences check torch's gradient convention for complex tensors."""
    is_complex = [t.is_complex() for t in leaves]
    real_leaves = [
        ember.view_as_real(t).detach().clone().requires_grad_() if c else t for t, c in zip(leaves, is_complex)
    ]

    def real_fn(*xs):
        out = fn(ember, *[ember.view_as_complex(x) if c else x for x, c in zip(xs, is_complex)])
        outs = out if isinstance(out, (tuple, list)) else (out,)
        return tuple(ember.view_as_real(o) if o.is_complex() else o for o in outs)

    return real_fn, real_leaves


@pytest.mark.parametrize("name,fn,shapes,opts", CHECKED, ids=[r[0] for r in CHECKED])
def test_gradcheck(name, fn, shapes, opts):
    assert gradcheck(*_as_real_function(fn, _leaves(shapes, opts)))


GRADGRAD = [
    ("exp", lambda x: x.exp(), [(2, 3)]),
    ("mul", lambda x, y: x * y, [(2, 3), (3,)]),
    ("matmul", lambda a, b: a @ b, [(2, 3), (3, 2)]),
    ("matmul-batched-vec", lambda a, b: a @ b, [(2, 2, 3), (3,)]),
    ("tanh", lambda x: ember.tanh(x), [(2, 3)]),
    ("softmax", lambda x: x.softmax(-1), [(2, 3)]),
    ("log_softmax", lambda x: x.log_softmax(0), [(2, 3)]),
    ("pow-scalar", lambda x: x**3, [(2, 3)]),
    ("pow-tensor", lambda x, y: x**y, [(2, 3), (2, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", GRADGRAD, ids=[r[0] for r in GRADGRAD])
def test_gradgradcheck(name, fn, shapes):
    leaves = _leaves(shapes, dict(low=0.5, high=2.0))
    assert gradgradcheck(fn, leaves)


def test_gradcheck_catches_a_wrong_backward():
    class WrongExp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y * 1.01

    x = ember.rand(3, dtype=ember.float64, requires_grad=True)
    assert not gradcheck(WrongExp.apply, (x,), raise_exception=False)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(WrongExp.apply, (x,))
