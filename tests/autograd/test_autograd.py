"""The autograd engine against torch: accumulation, retain_graph, grad modes, hooks, autograd.grad,
custom Functions, in-place version checks, grad_fn names and anomaly mode."""

import inspect

import numpy as np
import pytest

import ember
from oracle import assert_close, torch


def _pair(values, dtype="float64"):
    return (
        ember.tensor(values, dtype=getattr(ember, dtype), requires_grad=True),
        torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True),
    )


def test_grad_accumulates_across_two_backward_calls():
    for _T, x in zip((ember, torch), _pair([1.0, 2.0, 3.0])):
        (x * x).sum().backward()
        (x * 3).sum().backward()
    e, t = _pair([1.0, 2.0, 3.0])
    for x in (e, t):
        (x * x).sum().backward()
        (x * 3).sum().backward()
    assert_close(e.grad, t.grad)
    assert e.grad.tolist() == [5.0, 7.0, 9.0]


def test_retain_graph_allows_a_second_backward():
    e, t = _pair([0.5, -1.0])
    for x in (e, t):
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
    assert_close(e.grad, t.grad)


def test_second_backward_through_freed_graph_raises_like_torch():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_grad_modes():
    x = ember.ones(2, requires_grad=True)
    assert ember.is_grad_enabled()
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    try:
        assert not ember.is_grad_enabled() and (x * 2).grad_fn is None
    finally:
        ember.set_grad_enabled(True)
    assert (x * 2).requires_grad

    @ember.no_grad()
    def doubled(t):
        return t * 2

    assert not doubled(x).requires_grad
    with ember.inference_mode():
        assert not (x * 2).requires_grad


def test_detach_and_requires_grad_flags():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 10.0  # detach shares memory, as torch
    assert y[0].item() == 10.0
    z = x * 3
    z.detach_()
    assert not z.requires_grad and z.grad_fn is None
    w = ember.zeros(2)
    assert w.requires_grad_() is w and w.requires_grad
    w.requires_grad_(False)
    assert not w.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_hooks_modify_gradients_like_torch():
    grads = {}
    for T, x in zip(("ember", "torch"), _pair([1.0, -2.0, 3.0])):
        x.register_hook(lambda g: g * 2)
        y = x * x
        y.register_hook(lambda g: g + 1)
        y.retain_grad()
        y.sum().backward()
        grads[T] = (x.grad, y.grad)
    assert_close(grads["ember"][0], grads["torch"][0])
    assert_close(grads["ember"][1], grads["torch"][1])


def test_hook_handle_remove_and_hook_on_no_grad_tensor():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(2).register_hook(lambda g: g)


def test_retain_grad_on_non_leaf():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = x * 4
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    (y * y + z).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0]
    assert z.grad is None


def test_autograd_grad_and_second_derivative():
    for T, x in zip((ember, torch), _pair([0.5, 2.0])):
        y = (x**3).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (g2,) = T.autograd.grad(g.sum(), x)
        assert x.grad is None
        if T is ember:
            ours = (g, g2)
        else:
            theirs = (g, g2)
    assert_close(ours[0], theirs[0])
    assert_close(ours[1], theirs[1])
    assert ours[1].tolist() == [3.0, 12.0]  # d2/dx2 x^3 = 6x


def test_autograd_grad_allow_unused_and_grad_outputs():
    x, y = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    out = x * 2
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        ember.autograd.grad(out.sum(), [x, y], retain_graph=True)
    gx, gy = ember.autograd.grad(out.sum(), [x, y], allow_unused=True, retain_graph=True)
    assert gx.tolist() == [2.0, 2.0] and gy is None
    (gx,) = ember.autograd.grad(out, x, grad_outputs=ember.tensor([1.0, 3.0]))
    assert gx.tolist() == [2.0, 6.0]


def test_backward_needs_scalar_or_gradient():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(ember.tensor([1.0, 0.5]))
    assert x.grad.tolist() == [2.0, 1.0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()


def _scaled_exp_function(T):
    class ScaledExp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale, mask):
            y = x.exp() * scale
            ctx.save_for_backward(x, y)
            ctx.scale = scale
            ctx.seen_needs = ctx.needs_input_grad
            flags = mask > 0
            ctx.mark_non_differentiable(flags)
            return y, flags

        @staticmethod
        def backward(ctx, g, g_flags):
            x, y = ctx.saved_tensors
            return g * y, None, None

    return ScaledExp


def test_custom_function_matches_torch():
    results = {}
    for T, x in zip(("ember", "torch"), _pair([0.1, -0.3, 1.2])):
        mod = ember if T == "ember" else torch
        fn = _scaled_exp_function(mod)
        mask = mod.tensor([1.0, -1.0, 2.0])
        y, flags = fn.apply(x, 2.0, mask)
        assert not flags.requires_grad and y.requires_grad
        assert type(y.grad_fn).__name__ == "ScaledExpBackward"
        y.sum().backward()
        assert y.grad_fn.seen_needs == (True, False, False)
        results[T] = (y, flags, x.grad)
    for ours, theirs in zip(results["ember"], results["torch"]):
        assert_close(ours, theirs)


def test_custom_function_without_grad_input_records_nothing():
    fn = _scaled_exp_function(ember)
    y, _ = fn.apply(ember.ones(2), 1.0, ember.ones(2))
    assert y.grad_fn is None and not y.requires_grad


def test_modifying_a_saved_tensor_in_place_raises():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    c = b * b
    b.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_in_place_ops_and_iadd_keep_the_graph_like_torch():
    results = []
    for _T, x in zip((ember, torch), _pair([1.0, 2.0, 3.0])):
        y = x * 2
        y += x
        y.mul_(x)
        y.sub_(1).div_(2)
        y.sum().backward()
        results.append((y, x.grad, y.grad_fn.name()))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])
    assert results[0][2] == results[1][2] == "DivBackward0"


def test_in_place_op_on_leaf_that_requires_grad_raises():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x += 1
    with ember.no_grad():
        x.add_(1)
    assert x.tolist() == [2.0, 2.0]


# torch's node names for common ops; ember's Op class X gets "XBackward0" unless it says otherwise
GRAD_FN_NAMES = [
    ("mul", lambda T, x: x * x),
    ("mul-scalar", lambda T, x: x * 2),
    ("add", lambda T, x: x + x),
    ("add-scalar", lambda T, x: x + 1),
    ("sub", lambda T, x: x - x),
    ("div", lambda T, x: x / 2),
    ("neg", lambda T, x: -x),
    ("sum", lambda T, x: x.sum()),
    ("sum-dim", lambda T, x: x.sum(0)),
    ("mean", lambda T, x: x.mean()),
    ("exp", lambda T, x: x.exp()),
    ("log", lambda T, x: x.log()),
    ("tanh", lambda T, x: x.tanh()),
    ("sigmoid", lambda T, x: x.sigmoid()),
    ("relu", lambda T, x: x.relu()),
    ("pow-scalar", lambda T, x: x**3),
    ("pow-tensor", lambda T, x: x**x),
    ("sqrt", lambda T, x: x.sqrt()),
    ("abs", lambda T, x: x.abs()),
    ("view", lambda T, x: x.view(6)),
    ("reshape", lambda T, x: x.reshape(6)),
    ("transpose", lambda T, x: x.transpose(0, 1)),
    ("t", lambda T, x: x.t()),
    ("permute", lambda T, x: x.permute(1, 0)),
    ("mm", lambda T, x: x @ x.t()),
    ("matmul-1d", lambda T, x: x[0] @ x[1]),
    ("getitem-slice", lambda T, x: x[:, 1:]),
    ("getitem-int", lambda T, x: x[0]),
    ("getitem-index", lambda T, x: x[[0, 1, 0]]),
    ("unsqueeze", lambda T, x: x.unsqueeze(0)),
    ("squeeze", lambda T, x: x.unsqueeze(0).squeeze(0)),
    ("expand", lambda T, x: x[:1].expand(4, 3)),
    ("cat", lambda T, x: T.cat([x, x])),
    ("stack", lambda T, x: T.stack([x, x])),
    ("softmax", lambda T, x: x.softmax(-1)),
    ("log_softmax", lambda T, x: x.log_softmax(-1)),
    ("max", lambda T, x: x.max()),
    ("clone", lambda T, x: x.clone()),
    ("where", lambda T, x: T.where(x > 1, x, x * 2)),
    ("clamp", lambda T, x: x.clamp(0, 1)),
    ("flatten", lambda T, x: x.flatten()),
    ("mean-dim", lambda T, x: x.mean(0)),
    ("prod-dim", lambda T, x: x.prod(1)),
    ("std", lambda T, x: x.std()),
    ("norm", lambda T, x: x.norm()),
    ("norm-p1", lambda T, x: x.norm(p=1)),
    ("logsumexp", lambda T, x: x.logsumexp(0)),
    ("max-dim", lambda T, x: x.max(0).values),
    ("min-all", lambda T, x: x.min()),
    ("amax", lambda T, x: x.amax(0)),
    ("median", lambda T, x: x.median()),
    ("median-dim", lambda T, x: x.median(1).values),
    ("sort", lambda T, x: x.sort().values),
    ("topk", lambda T, x: x.topk(2).values),
    ("clamp_min", lambda T, x: x.clamp_min(1)),
    ("clamp-tensor", lambda T, x: x.clamp(x[0], x[0] + 1)),
    ("squeeze-dim", lambda T, x: x[None].squeeze(0)),
    ("split", lambda T, x: x.split(1)[0]),
    ("chunk", lambda T, x: x.chunk(2, 1)[1]),
    ("unbind", lambda T, x: x.unbind(1)[0]),
    ("select", lambda T, x: x.select(1, 0)),
    ("getitem-none", lambda T, x: x[None]),
    ("getitem-ellipsis", lambda T, x: x[...]),
    ("getitem-mixed", lambda T, x: x[:, None, 1]),
    ("mT", lambda T, x: x.mT),
    ("swapaxes", lambda T, x: x.swapaxes(0, 1)),
    ("reshape-noncontig", lambda T, x: x.t().reshape(6)),
    ("tril", lambda T, x: x.tril()),
    ("triu", lambda T, x: x.triu(1)),
    ("trace", lambda T, x: x.trace()),
    ("dot", lambda T, x: x[0].dot(x[1])),
    ("mv", lambda T, x: x.mv(x[0])),
    ("bmm", lambda T, x: T.bmm(x[None], x.t()[None])),
    ("addmm", lambda T, x: T.addmm(x, x, T.eye(3))),
    ("inverse", lambda T, x: x[:, :2].inverse()),
    ("det", lambda T, x: x[:, :2].det()),
    ("take", lambda T, x: x.take(T.tensor([0, 4]))),
    ("masked_select", lambda T, x: x.masked_select(x > 1)),
    ("tile", lambda T, x: x.tile(2)),
    ("rpow", lambda T, x: 2**x),
    ("square", lambda T, x: x.square()),
]


@pytest.mark.parametrize("name,fn", GRAD_FN_NAMES, ids=[r[0] for r in GRAD_FN_NAMES])
def test_grad_fn_name_matches_torch(name, fn):
    e, t = _pair([[0.5, 1.0, 2.0], [1.5, 2.5, 3.0]], "float32")
    ours, theirs = fn(ember, e), fn(torch, t)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    assert repr(ours.grad_fn).startswith(f"<{theirs.grad_fn.name()} object at 0x")


def test_next_functions_lead_to_accumulate_grad():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    (node, nr), (const, _) = y.grad_fn.next_functions
    assert type(node).__name__ == "AccumulateGrad" and node.name() == "torch::autograd::AccumulateGrad"
    assert node.variable is x and nr == 0 and const is None
    assert node.name() == (torch.ones(2, requires_grad=True) * 2).grad_fn.next_functions[0][0].name()


def test_anomaly_mode_names_the_op_and_the_user_line():
    x = ember.zeros(3, requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = x.sqrt() * 0  # the anomaly line: the backward of sqrt at 0 makes 0 * inf = nan
        line = inspect.currentframe().f_lineno - 1
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "SqrtBackward0" in message
    assert "returned nan values" in message
    assert f"line {line}" in message and "x.sqrt() * 0" in message
    assert not ember.autograd.is_anomaly_enabled()


def test_without_anomaly_mode_nan_gradients_pass_silently():
    x = ember.zeros(3, requires_grad=True)
    (x.sqrt() * 0).sum().backward()
    assert np.isnan(x.grad.numpy()).all()
