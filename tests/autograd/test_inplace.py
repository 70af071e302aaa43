"""In-place ops under autograd, against torch: writes cut or redirect the gradient, leaves refuse them,
views rewrite their base's history (CopySlices), stale views take the base's history again, version
counters catch saved tensors that were overwritten, and overlapping writes are refused where torch
refuses them."""

import pytest

import ember
from oracle import assert_close, torch


def _both(program):
    """Run program(T) on torch and ember; each returns a tuple of tensors/values or raises."""
    results = []
    for T in (torch, ember):
        try:
            results.append(("ok", program(T)))
        except (RuntimeError, IndexError, TypeError) as e:
            results.append((type(e).__name__, str(e)))
    (t_kind, theirs), (e_kind, ours) = results
    assert e_kind == t_kind, (
        f"ember: {e_kind} {ours if e_kind != 'ok' else ''}; torch: {t_kind} {theirs if t_kind != 'ok' else ''}"
    )
    if t_kind != "ok":
        assert ours.startswith(theirs.split(" (")[0].rstrip(".")[:70]), (ours, theirs)
        return None
    for o, t in zip(ours, theirs):
        if isinstance(t, torch.Tensor):
            assert_close(o, t)
        else:
            assert o == t
    return ours


OVERWRITES = [
    "zero_()",
    "fill_(1.5)",
    "uniform_()",
    "normal_()",
    "bernoulli_()",
    "bernoulli_(0.3)",
    "random_()",
    "random_(5)",
    "random_(1, 5)",
    "exponential_()",
    "geometric_(0.5)",
    "log_normal_()",
    "cauchy_()",
    "fill_(T.tensor(2.0))",
]


@pytest.mark.parametrize("op", OVERWRITES)
def test_an_overwrite_cuts_the_gradient_and_names_the_node_as_torch(op):
    def program(T):
        x = T.ones(3, requires_grad=True)
        y = x * 2
        eval("y." + op, {"T": T, "y": y})
        (y + x).sum().backward()
        return x.grad, y.requires_grad, y.grad_fn.name()

    grad = _both(program)[0]
    assert grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "op",
    OVERWRITES
    + [
        "add_(1)",
        "mul_(2)",
        "clamp_(0, 1)",
        "copy_(T.zeros(3))",
        "masked_fill_(T.tensor([True, False, True]), 1.0)",
        "__setitem__(0, 5.0)",
        "sigmoid_()",
        "__iadd__(1)",
    ],
)
@pytest.mark.parametrize("target", ["leaf", "view of a leaf"])
def test_an_in_place_op_on_a_leaf_that_requires_grad_raises_as_torch(op, target):
    def program(T):
        x = T.ones(3, requires_grad=True)
        eval("t." + op, {"T": T, "t": x if target == "leaf" else x[:3]})
        return ()

    _both(program)


def test_in_place_on_a_leaf_is_allowed_under_no_grad():
    x = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        x.zero_()
        x[1:].uniform_()
        x.mul_(2)
    assert x.requires_grad and x.is_leaf and x._version == 3


def test_fill_with_a_tensor_value_sends_its_gradient_to_the_value():
    def program(T):
        x = T.ones(3, requires_grad=True)
        p = T.tensor(2.0, requires_grad=True)
        y = x * 2
        y.fill_(p)
        (y * T.arange(3.0)).sum().backward()
        return p.grad, x.grad, y.grad_fn.name()

    _both(program)
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        ember.zeros(3).fill_(ember.ones(2))


@pytest.mark.parametrize("then", ["none", "zero", "detach-zero"])
def test_copy_into_a_non_leaf_gives_the_source_its_gradient_or_zeros(then):
    def program(T):
        x = T.ones(3, requires_grad=True)
        s = T.full((3,), 5.0, requires_grad=True)
        y = x * 2
        y.copy_(s)
        if then == "zero":
            y.zero_()
        elif then == "detach-zero":
            y.detach().zero_()
        (y + x).sum().backward()
        return x.grad, s.grad, y.grad_fn.name()

    _both(program)


def test_copy_casts_and_broadcasts_the_gradient_back_to_the_source():
    def program(T):
        s = T.tensor([1.0, 2.0, 3.0], dtype=T.float64, requires_grad=True)
        z = T.zeros(2, 3)
        z.copy_(s)
        (z * T.arange(6.0).reshape(2, 3)).sum().backward()
        return s.grad, z.grad_fn.name(), z.requires_grad

    _both(program)


def test_writing_a_value_that_requires_grad_into_a_view_of_a_plain_tensor():
    def program(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        out = T.zeros(2, 3)
        out[0] = x * 2
        out[1, 1:] = x[:2] ** 2
        (out * T.arange(6.0).reshape(2, 3)).sum().backward()
        return out, x.grad, out.grad_fn.name(), out.requires_grad

    _both(program)


@pytest.mark.parametrize("key", ["...", ":", "0", "1:, 0", "None", "..., 1"])
@pytest.mark.parametrize("value", ["y", "5.0", "T.tensor(5.0)"])
def test_setitem_records_torch_node_for_each_key_and_value(key, value):
    def program(T):
        x = T.ones(2, 3, requires_grad=True)
        b = x * 2
        target_shape = eval(f"b[{key}]").shape
        y = T.full(target_shape, 4.0, requires_grad=True)
        exec(f"b[{key}] = {value}", {"T": T, "b": b, "y": y})
        (b * T.arange(6.0).reshape(2, 3)).sum().backward()
        return b, x.grad, b.grad_fn.name()

    _both(program)


def test_a_view_taken_before_its_base_was_written_follows_the_base():
    def program(T):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        b = x * 1
        row, col = b[0], b[:, 1]
        b.mul_(2)
        names = (row.grad_fn.name(), col.grad_fn.name())
        (row.sum() + 3 * col.sum()).backward()
        return (x.grad,) + names

    _both(program)


def test_writing_one_view_updates_a_sibling_view_and_the_base():
    def program(T):
        x = T.arange(6.0).reshape(2, 3).requires_grad_()
        b = x.clone()
        t = b.t()
        d = b.diagonal()
        t[1:].mul_(3)  # b[:, 1:] tripled through the transpose
        d.add_(x[0, :2])
        (b.sum() + (t * t).sum() + d.sum()).backward()
        return b, t, d, x.grad, b.grad_fn.name(), t.grad_fn.name(), d.grad_fn.name()

    _both(program)


def test_unfold_is_a_view_writes_reach_the_base_and_overlapping_windows_add_gradients():
    def program(T):
        x = T.arange(6.0, requires_grad=True)
        w = x.unfold(0, 3, 2)  # windows [0:3], [2:5]: element 2 in both
        (w * T.arange(6.0).reshape(2, 3)).sum().backward()
        base = T.zeros(6)
        base.unfold(0, 2, 2)[1].fill_(7.0)
        return x.grad, w.grad_fn.name(), base, w.stride(), w.is_contiguous()

    _both(program)


def test_unfold_shapes_and_errors_as_torch():
    for args in [(0, 1, 1), (0, 0, 1), (1, 2, 3), (-1, 4, 1), (0, 5, 1), (0, 2, 0)]:

        def program(T):
            t = T.arange(12.0).reshape(3, 4).unfold(*args)
            return t, t.stride()

        _both(program)
    _both(lambda T: (T.tensor(5.0).unfold(0, 1, 1),))


def test_version_counter_catches_an_overwritten_saved_tensor_through_a_view():
    cases = [
        lambda T, x: (lambda z: (z[1:].mul_(2), z))(x.exp())[1],  # exp saved its output; a view writes it
        lambda T, x: (lambda y: (y * y, y.__setitem__(0, 5.0)))(x * 3)[0],
        lambda T, x: (lambda y: (y[1:] * y[1:], y.__setitem__(0, 5.0)))(x * 3)[0],  # disjoint: still caught
        lambda T, x: (lambda y: (y.sigmoid(), y.detach().zero_()))(x * 1)[0],
        lambda T, x: (lambda y: y.sigmoid().mul_(2))(x * 1),
    ]
    for make in cases:

        def program(T):
            x = T.ones(3, requires_grad=True)
            make(T, x).sum().backward()
            return (x.grad,)

        _both(program)


def test_a_view_made_in_no_grad_mode_refuses_an_in_place_op_with_grad_mode_on():
    def program(T):
        x = T.ones(3, requires_grad=True)
        b = x * 2
        with T.no_grad():
            v = b[:2]
        v.mul_(2)
        return ()

    _both(program)

    def program_plain(T):
        z = T.zeros(3)
        with T.no_grad():
            v = z[:2]
        v.mul_(2)
        return (z,)

    _both(program_plain)


OVERLAP_CASES = [
    "x = T.arange(5.); x[1:] = x[:-1]",
    "x = T.arange(5.); x[1:].copy_(x[:-1])",
    "x = T.arange(5.); x[:2] = x[3:]",
    "x = T.arange(5.); x[1:3] = x[1:3]",
    "x = T.arange(5.); x.copy_(x)",
    "x = T.arange(5.); x.add_(x)",
    "x = T.arange(5.); x[1:].add_(x[:-1])",
    "x = T.arange(5.); x[1:] += x[:-1]",
    "x = T.arange(4.).view(2, 2); x.copy_(x.t())",
    "x = T.arange(6.).view(2, 3); x.t().copy_(x.t())",
    "x = T.arange(9.).view(3, 3); x.diagonal().copy_(x[0])",
    "x = T.arange(9.).view(3, 3); x[:, 0] = x[0]",
    "x = T.arange(9.).view(3, 3); x.add_(x[0])",
    "x = T.arange(5.); T.add(x[1:], 1, out=x[:-1])",
    "x = T.arange(5.); T.exp(x[1:], out=x[:-1])",
] + [
    f"x = T.arange(3.); e = x.expand(2, 3); {op}"
    for op in [
        "e.add_(1)",
        "e.zero_()",
        "e.fill_(1)",
        "e.fill_(T.tensor(1.))",
        "e.uniform_()",
        "e.normal_()",
        "e.bernoulli_()",
        "e.random_()",
        "e.exponential_()",
        "e[0] = 5",
        "e[:, 0] = 1",
        "e[0, 0] = 1",
        "e[...] = 1",
        "e.copy_(T.ones(2, 3))",
        "e.mul_(2)",
        "e.clamp_(0, 1)",
        "e.relu_()",
        "e.sigmoid_()",
        "e[1] = T.ones(3)",
        "e.masked_fill_(T.tensor([[True, False, False], [False, True, False]]), 7.)",
    ]
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("code", OVERLAP_CASES)
def test_overlapping_writes_are_refused_where_torch_refuses_them(code):
    def program(T):
        env = {"T": T}
        exec(code, env)
        return (env["x"],)

    _both(program)


def test_storage_offset_and_base_of_detached_views():
    def program(T):
        x = T.arange(6.0)
        y = x[1:]
        d = y.detach()
        v = d[1:]
        return d.storage_offset(), v.storage_offset(), v._base is d, y._base is x

    _both(program)


def test_in_place_on_a_view_of_a_detached_tensor_leaves_the_original_history_alone():
    def program(T):
        w = T.ones(3, requires_grad=True)
        b = w * 2
        e = b.detach()
        e[:2].copy_(w[:2])
        (b.sum() + e.sum()).backward()
        return w.grad, e.grad_fn.name(), b.grad_fn.name()

    _both(program)


@pytest.mark.parametrize(
    "parts",
    [
        "b.split(2)",
        "b.split([1, 3])",
        "b.chunk(2)",
        "b.unbind(0)",
        "list(b)",
        "b.tensor_split(2)",
        "T.split_with_sizes(b, [1, 3])",
    ],
)
def test_views_returned_together_refuse_in_place_writes_as_torch(parts):
    def program(T):
        x = T.ones(4, 2, requires_grad=True)
        b = x * 1
        eval(parts, {"T": T, "b": b})[-1].mul_(2)
        b.sum().backward()
        return b, x.grad

    def without_grad(T):
        b = T.ones(4, 2)
        eval(parts, {"T": T, "b": b})[-1].mul_(2)
        return (b,)

    _both(program)
    _both(without_grad)


@pytest.mark.parametrize(
    "args",
    [
        "(2,), (1,)",
        "(2,), (1,), 0",
        "(4,), (2,)",
        "(2,), (-1,)",
        "(2,), (1,), -1",
        "(2, 2), (1, 1)",
        "(3,), (0,)",
        "(0, 5), (9, 9), 3",
    ],
)
def test_as_strided_addresses_the_storage_and_refuses_to_reach_outside_it(args):
    def program(T):
        x = T.arange(6.0)
        v = eval(f"x[2:].as_strided({args})", {"x": x})
        v2 = eval(f"T.as_strided(x.view(2, 3).t(), {args})", {"x": x, "T": T})
        return v, v.stride(), v.storage_offset(), v2

    _both(program)


def test_views_returned_together_refuse_to_follow_a_written_base():
    def program(T, grad_mode_on_use=True):
        x = T.ones(4, requires_grad=True)
        b = x * 1
        parts = b.split(2)
        with T.no_grad():
            b.add_(1)
        with T.set_grad_enabled(grad_mode_on_use):
            used = parts[1] * 2
        return used, parts[1].requires_grad

    _both(program)
    _both(lambda T: program(T, False))
    _both(lambda T: (lambda z, q: (z.add_(1), q[0].grad_fn)[1:])(*(lambda z: (z, z.split(2)))(T.zeros(4))))
