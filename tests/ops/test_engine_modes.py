"""One backward engine: gradients flow as arrays without create_graph and as Tensors with it, through the
same node-call code. Every op of the oracle table must give the same gradients (and the same errors)
in both modes, and a custom Function's bad gradient is caught the same way in both."""

import numpy as np
import pytest

import ember
from oracle import make_inputs, torch
from op_table import ROWS


def _grads(fn, arrays, create_graph):
    """Gradients of sum(out * w) for every float input, or the exception the backward raised."""
    leaves = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    outs = fn(ember, *leaves)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    rng = np.random.default_rng(1)
    loss = 0
    for o in outs:
        if isinstance(o, ember.Tensor) and o.requires_grad:
            loss = loss + (o * ember.tensor(rng.standard_normal(tuple(o.shape)))).sum()
    wrt = [t for t in leaves if t.requires_grad]
    try:
        grads = ember.autograd.grad(loss, wrt, create_graph=create_graph, allow_unused=True)
    except Exception as e:  # noqa: BLE001 - the two modes must fail alike
        return type(e), str(e)
    if create_graph:
        # the graph of the gradients is real: it reaches the leaves wherever the gradient depends on them
        assert all(g is None or g.requires_grad or g.grad_fn is None for g in grads)
    return [None if g is None else g.detach().numpy().copy() for g in grads]


@pytest.mark.parametrize("name,fn,shapes,opts", ROWS, ids=[r[0] for r in ROWS])
def test_both_modes_give_the_same_gradients(name, fn, shapes, opts):
    arrays = (
        shapes(np.float64)
        if callable(shapes)
        else make_inputs(shapes, np.float64, low=opts.get("low", -2.0), high=opts.get("high", 2.0))
    )
    plain, graphed = _grads(fn, arrays, False), _grads(fn, arrays, True)
    if isinstance(plain, tuple) or isinstance(graphed, tuple):
        assert plain == graphed
        return
    assert len(plain) == len(graphed)
    for i, (a, b) in enumerate(zip(plain, graphed)):
        assert (a is None) == (b is None), f"input {i}: a gradient in one mode only"
        if a is not None:
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"input {i}")


def _custom(T, backward):
    class Custom(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return backward(T, g)

    return Custom


BAD_BACKWARDS = [
    ("wrong-shape", lambda T, g: (T.ones(5, dtype=g.dtype), None)),
    ("too-few", lambda T, g: g),
    ("too-many", lambda T, g: (g, None, g)),
    ("grad-for-a-number", lambda T, g: (g, g)),
]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name,backward", BAD_BACKWARDS, ids=[b[0] for b in BAD_BACKWARDS])
def test_a_bad_custom_backward_raises_as_torch_in_both_modes(name, backward, create_graph):
    messages = []
    for T in (torch, ember):
        x = T.ones(3, dtype=T.float64, requires_grad=True)
        y = _custom(T, backward).apply(x, 2.0)
        with pytest.raises(RuntimeError) as info:
            T.autograd.grad(y.sum(), x, create_graph=create_graph)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


@pytest.mark.parametrize("create_graph", [False, True])
def test_extra_none_gradients_are_dropped_in_both_modes(create_graph):
    x = ember.ones(3, dtype=ember.float64, requires_grad=True)
    y = _custom(ember, lambda T, g: (g * 2, None, None)).apply(x, 2.0)
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=create_graph)
    assert g.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_broadcast_custom_gradient_is_summed_in_both_modes(create_graph):
    x = ember.ones(3, dtype=ember.float64, requires_grad=True)
    y = _custom(ember, lambda T, g: (g.expand(2, 3), None)).apply(x, 2.0)
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=create_graph)
    assert g.tolist() == [2.0, 2.0, 2.0]
