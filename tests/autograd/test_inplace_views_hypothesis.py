"""Differential test against torch: random chains of views (slicing, select, transpose, permute, diagonal,
view/reshape, unfold, narrow, expand, unsqueeze) of a tensor in the graph, an in-place op on one of them
(or on the base, after the views were taken), then backward through the base and every view. Values,
gradients, the base's grad_fn name, and errors must be torch's."""

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import ember
from oracle import torch

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- view steps: each maps (shape, draw) to a function T, tensor -> view, or None if it does not apply ---


@st.composite
def view_step(draw, shape):
    ndim = len(shape)
    kinds = ["unsqueeze", "expand"]
    if ndim:
        kinds += ["slice", "select", "narrow", "unfold", "flatten-view", "reshape"]
    if ndim >= 2:
        kinds += ["transpose", "permute", "diagonal", "t" if ndim == 2 else "transpose"]
    kind = draw(st.sampled_from(kinds))
    d = draw(st.integers(0, max(ndim - 1, 0)))
    n = shape[d] if ndim else 1
    if kind == "slice":
        start = draw(st.integers(0, max(n - 1, 0)))
        stop = draw(st.integers(start, n))
        step = draw(st.integers(1, 2))
        key = (slice(None),) * d + (slice(start, stop, step),)
        return kind, lambda T, t: t[key]
    if kind == "select":
        if n == 0:
            return None
        i = draw(st.integers(-n, n - 1))
        return kind, lambda T, t: t.select(d, i)
    if kind == "narrow":
        start = draw(st.integers(0, n))
        length = draw(st.integers(0, n - start))
        return kind, lambda T, t: t.narrow(d, start, length)
    if kind == "unfold":
        # windows that share elements are left out: torch calls in-place writes through them undefined
        size = draw(st.integers(0, n))
        step = draw(st.integers(max(size, 1), max(size, 3)))
        return kind, lambda T, t: t.unfold(d, size, step)
    if kind == "flatten-view":
        return kind, lambda T, t: t.view(-1) if t.is_contiguous() else t.reshape(-1)
    if kind == "reshape":
        return kind, lambda T, t: t.reshape(tuple(t.shape[:d]) + (1,) + tuple(t.shape[d:]))
    if kind == "transpose":
        d1 = draw(st.integers(0, ndim - 1))
        return kind, lambda T, t: t.transpose(d, d1)
    if kind == "t":
        return kind, lambda T, t: t.t()
    if kind == "permute":
        order = draw(st.permutations(range(ndim)))
        return kind, lambda T, t: t.permute(*order)
    if kind == "diagonal":
        d1 = draw(st.integers(0, ndim - 1).filter(lambda e: e != d))
        offset = draw(st.integers(-1, 1))
        return kind, lambda T, t: t.diagonal(offset, d, d1)
    if kind == "unsqueeze":
        at = draw(st.integers(0, ndim))
        return kind, lambda T, t: t.unsqueeze(at)
    reps = draw(st.integers(1, 2))
    return kind, lambda T, t: t.expand((reps,) + tuple(t.shape))


def _shape_after(fn, shape):
    """The shape a view step gives, found on a NumPy-free torch probe."""
    probe = torch.zeros(shape)
    return tuple(fn(torch, probe).shape)


@st.composite
def view_chain(draw, shape):
    steps = []
    for _ in range(draw(st.integers(0, 3))):
        step = draw(view_step(shape))
        if step is None:
            continue
        try:
            new_shape = _shape_after(step[1], shape)
        except (RuntimeError, IndexError):
            continue  # not a valid view of this shape (torch refuses it): drawn again next round
        if len(new_shape) > 4 or np.prod(new_shape) > 200:
            continue
        steps.append(step)
        shape = new_shape
    return steps, shape


# --- in-place ops: fn(T, view, operand) where operand is a requires-grad leaf of the view's shape -------

INPLACE = {
    "mul_": lambda T, v, y: v.mul_(2.0),
    "add_tensor": lambda T, v, y: v.add_(y),
    "mul_tensor": lambda T, v, y: v.mul_(y),
    "zero_": lambda T, v, y: v.zero_(),
    "fill_": lambda T, v, y: v.fill_(3.0),
    "copy_": lambda T, v, y: v.copy_(y),
    "clamp_": lambda T, v, y: v.clamp_(-0.5, 0.5),
    "masked_fill_": lambda T, v, y: v.masked_fill_(y > 0, 1.5),
    "exp_": lambda T, v, y: v.exp_(),
    "sigmoid_": lambda T, v, y: v.sigmoid_(),
    "setitem": lambda T, v, y: v.__setitem__(Ellipsis, y),
    "iadd": lambda T, v, y: v.__iadd__(y * 3),
    "uniform_": lambda T, v, y: v.uniform_(),
    "normal_": lambda T, v, y: v.normal_(),
    "bernoulli_": lambda T, v, y: v.bernoulli_(0.5),
    "random_": lambda T, v, y: v.random_(0, 5),
    "exponential_": lambda T, v, y: v.exponential_(),
}
RANDOM = {"uniform_", "normal_", "bernoulli_", "random_", "exponential_"}


def _run(T, base_kind, shape, chain, op, target, seed):
    """Build base -> views, write in place into views[target] (0: the base itself), then backward through
    the base and every view."""
    rng = np.random.default_rng(seed)
    x = T.tensor(rng.uniform(-1, 1, shape), requires_grad=True)
    if base_kind == "non-leaf":
        b = x * 2
    elif base_kind == "no-grad-base":
        b = T.zeros(shape, dtype=T.float64)
    else:
        b = x
    views = [b]
    for _, fn in chain:
        views.append(fn(T, views[-1]))
    written = views[target]
    y = T.tensor(rng.uniform(-1, 1, tuple(written.shape)), requires_grad=True)
    try:
        INPLACE[op](T, written, y)
        loss = (x * 0.5).sum()
        for v in views:
            loss = loss + (v * T.tensor(rng.standard_normal(tuple(v.shape)))).sum()
        loss.backward()
    except (RuntimeError, IndexError) as e:
        return ("error", type(e).__name__, str(e).split(" (")[0].split(". ")[0][:60])
    return (
        [v.detach().numpy().copy() for v in views],
        x.grad.numpy().copy(),
        None if y.grad is None else y.grad.numpy().copy(),
        b.grad_fn is not None and b.grad_fn.name(),
    )


@SETTINGS
@given(data=st.data())
def test_inplace_on_views_matches_torch(data):
    ndim = data.draw(st.integers(1, 3), label="ndim")
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim), label="shape"))
    chain, _ = data.draw(view_chain(shape), label="views")
    op = data.draw(st.sampled_from(sorted(INPLACE)), label="op")
    target = data.draw(st.integers(0, len(chain)), label="written view")
    base_kind = data.draw(st.sampled_from(["non-leaf", "non-leaf", "no-grad-base", "leaf"]), label="base")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    ours = _run(ember, base_kind, shape, chain, op, target, seed)
    theirs = _run(torch, base_kind, shape, chain, op, target, seed)
    described = f"{base_kind} {shape} {[k for k, _ in chain]} {op} on view {target}"
    if isinstance(ours[0], str) or isinstance(theirs[0], str):  # an error in either

        def outcome(r):
            return r if isinstance(r[0], str) else "no error"

        assert outcome(ours) == outcome(theirs), described
        return
    views, gx, gy, name = ours
    t_views, t_gx, t_gy, t_name = theirs
    if op not in RANDOM:  # random values differ between the libraries; the gradients must not
        for v, tv in zip(views, t_views):
            np.testing.assert_allclose(v, tv, rtol=1e-12, atol=1e-12, err_msg=described)
    np.testing.assert_allclose(gx, t_gx, rtol=1e-12, atol=1e-12, err_msg=described)
    assert (gy is None) == (t_gy is None), described
    if gy is not None:
        np.testing.assert_allclose(gy, t_gy, rtol=1e-12, atol=1e-12, err_msg=described)
    assert name == t_name, described
