"""Hypothesis property tests against torch: broadcasting (result and gradient shapes) and
view/shape ops round trips, on random shapes including 0-size dims and scalars."""

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import ember
from oracle import assert_close, torch

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

shapes = st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple)


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: each dim of the shorter is the other's size or 1."""
    a = draw(shapes)
    b = tuple(draw(st.sampled_from([size, 1])) for size in a[len(a) - draw(st.integers(0, len(a))) :])
    a = tuple(draw(st.lists(st.integers(1, 3), max_size=1))) + a  # a leading dim only one side has
    return (a, b) if draw(st.booleans()) else (b, a)


def _values(shape, seed):
    return np.random.default_rng(seed).uniform(0.5, 2.0, size=shape).astype(np.float64)


@SETTINGS
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div", "pow", "maximum", "atan2"]))
def test_broadcasting_matches_torch_and_grads_have_input_shapes(pair, op):
    a, b = _values(pair[0], 0), _values(pair[1], 1)
    assert (
        tuple(ember.broadcast_shapes(a.shape, b.shape))
        == tuple(torch.broadcast_shapes(a.shape, b.shape))
        == np.broadcast_shapes(a.shape, b.shape)
    )
    ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours, theirs = getattr(ember, op)(ea, eb), getattr(torch, op)(ta, tb)
    assert_close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    assert ea.grad.shape == ea.shape and eb.grad.shape == eb.shape
    assert_close(ea.grad, ta.grad)
    assert_close(eb.grad, tb.grad)


@SETTINGS
@given(shapes, st.randoms(use_true_random=False))
def test_reshape_permute_flatten_round_trips_match_torch(shape, rnd):
    a = _values(shape, 2)
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    n = len(shape)
    perm = list(range(n))
    rnd.shuffle(perm)
    flat_shape = (-1,) if a.size else (0,)

    def chain(T, x):
        y = x.permute(*perm) if n else x
        z = y.reshape(*flat_shape)
        back = z.reshape(tuple(y.shape))
        restored = back.permute(*np.argsort(perm).tolist()) if n else back
        f = x.flatten(0, -1) if n else x.flatten()
        return y, z, restored, f, x.unsqueeze(0).squeeze(0), x.reshape(x.shape)

    ours, theirs = chain(ember, e), chain(torch, t)
    for o, th in zip(ours, theirs):
        assert tuple(o.shape) == tuple(th.shape)
        assert o.is_contiguous() == th.is_contiguous()
        assert_close(o, th)
    np.testing.assert_array_equal(ours[2].detach().numpy(), a)
    sum(o.sum() for o in ours).backward()
    sum(th.sum() for th in theirs).backward()
    assert_close(e.grad, t.grad)


@SETTINGS
@given(shapes.filter(lambda s: len(s) >= 1), st.data())
def test_reductions_over_random_dims_match_torch(shape, data):
    a = _values(shape, 3)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    for name in ("sum", "mean", "amax", "logsumexp", "prod"):
        if name in ("amax",) and a.shape[dim] == 0:
            continue
        e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        ours, theirs = getattr(e, name)(dim, keepdim=keepdim), getattr(t, name)(dim, keepdim=keepdim)
        assert_close(ours, theirs)
        if ours.numel():
            ours.sum().backward()
            theirs.sum().backward()
            assert_close(e.grad, t.grad)


@SETTINGS
@given(shapes)
def test_expand_and_sum_to_size_are_adjoint(shape):
    a = _values(shape, 4)
    target = (2,) + tuple(s if s != 1 else 3 for s in shape)
    ones_shape = tuple(1 if s == 1 else s for s in shape)
    x = ember.tensor(a.reshape(ones_shape) if a.size else a, requires_grad=True)
    y = x.expand(*target)
    y.sum().backward()
    expected = torch.tensor(a.reshape(ones_shape) if a.size else a, requires_grad=True)
    expected.expand(*target).sum().backward()
    assert_close(x.grad, expected.grad)
