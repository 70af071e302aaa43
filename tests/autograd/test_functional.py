"""ember.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp) against torch.autograd.functional:
values, result structure (Tensor / tuple / tuple of tuples), create_graph, strict and their errors."""

import numpy as np
import pytest

import ember
from oracle import assert_close, torch


def _flat(result):
    if isinstance(result, (tuple, list)):
        out = []
        for r in result:
            out.extend(_flat(r))
        return out
    return [result]


def _structure(result):
    if isinstance(result, tuple):
        return tuple(_structure(r) for r in result)
    return tuple(result.shape)


def _inputs(T, shapes, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(T.tensor(rng.uniform(0.5, 1.5, s)) for s in shapes)


FUNCS = {
    "exp-sum": (lambda T, x: T.exp(x).sum(), [(3,)]),
    "matvec": (lambda T, a, x: a @ x, [(2, 3), (3,)]),
    "two-outputs": (lambda T, x, y: (x * y, (x**2).sum() + y.sum()), [(3,), (3,)]),
    "tanh-2d": (lambda T, x: T.tanh(x) * x, [(2, 2)]),
    "independent": (lambda T, x, y: x**3, [(2,), (2,)]),
    "scalar-in": (lambda T, x: T.stack([x.sin(), x.cos() * x]), [()]),
}
SCALAR_FUNCS = {
    "exp-sum": (lambda T, x: T.exp(x).sum(), [(3,)]),
    "quad": (lambda T, x, y: (x * x * y).sum() + (y**3).sum(), [(2,), (2,)]),
    "log-det-like": (lambda T, a: (a @ a.t()).diagonal().log().sum(), [(2, 2)]),
    "scalar-in": (lambda T, x: x.sin() * x, [()]),
}


def _call(T, name_fn, fn, table, single_as_tensor=True, **kw):
    f, shapes = table[name_fn]
    ins = _inputs(T, shapes)
    inputs = ins[0] if single_as_tensor and len(ins) == 1 else ins
    return getattr(T.autograd.functional, fn)(lambda *a: f(T, *a), inputs, **kw)


def _compare(ours, theirs):
    assert _structure(ours) == _structure(theirs)
    for o, t in zip(_flat(ours), _flat(theirs)):
        assert_close(o, t)
        assert o.requires_grad == t.requires_grad


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_jacobian_matches_torch(name, vectorize):
    _compare(
        _call(ember, name, "jacobian", FUNCS, vectorize=vectorize),
        _call(torch, name, "jacobian", FUNCS, vectorize=vectorize),
    )


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCS))
def test_hessian_matches_torch(name):
    _compare(_call(ember, name, "hessian", SCALAR_FUNCS), _call(torch, name, "hessian", SCALAR_FUNCS))


def _v_for(T, fn, name, table):
    f, shapes = table[name]
    ins = _inputs(T, shapes)
    if fn in ("vjp",):
        outs = f(T, *ins)
        outs = outs if isinstance(outs, tuple) else (outs,)
        v = tuple(T.ones_like(o) * 0.5 for o in outs)
    else:
        v = tuple(T.full_like(i, 0.25) + i for i in ins)
    return v if len(v) > 1 else v[0]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize(
    "fn,name",
    [("vjp", n) for n in sorted(FUNCS)]
    + [("jvp", n) for n in sorted(FUNCS)]
    + [("vhp", n) for n in sorted(SCALAR_FUNCS)]
    + [("hvp", n) for n in sorted(SCALAR_FUNCS)],
)
def test_products_match_torch(fn, name, create_graph):
    table = FUNCS if fn in ("vjp", "jvp") else SCALAR_FUNCS
    results = []
    for T in (ember, torch):
        f, shapes = table[name]
        ins = _inputs(T, shapes)
        if create_graph:
            ins = tuple(i.requires_grad_() for i in ins)
        inputs = ins[0] if len(ins) == 1 else ins
        results.append(
            getattr(T.autograd.functional, fn)(
                lambda *a: f(T, *a), inputs, _v_for(T, fn, name, table), create_graph=create_graph
            )
        )
    _compare(*results)


def test_v_may_be_omitted_only_for_one_element_and_is_checked():
    for T in (ember, torch):
        x = T.tensor([1.0, 2.0])
        for call, message in [
            (lambda: T.autograd.functional.vjp(lambda a: a * 2, x), "The vector v can only be None if the user"),
            (lambda: T.autograd.functional.jvp(lambda a: a * 2, x), "The vector v can only be None if the input"),
            (lambda: T.autograd.functional.vjp(lambda a: a * 2, x, T.ones(3)), "v has invalid size"),
            (lambda: T.autograd.functional.vjp(lambda a, b: (a, b), (x, x), (T.ones(2),) * 3), "v is a tuple"),
            (lambda: T.autograd.functional.vjp(lambda a, b: a, (x, x), (T.ones(2),) * 2), "The given v should"),
            (lambda: T.autograd.functional.hvp(lambda a: a * 2, x, x), "The Tensor returned by the function given"),
            (lambda: T.autograd.functional.vhp(lambda a: (a.sum(), a.sum()), x, x), "The function given to vhp"),
            (lambda: T.autograd.functional.jacobian(lambda a: a, [x]), "The inputs given to jacobian must be"),
        ]:
            with pytest.raises((RuntimeError, TypeError), match=message):
                call()
    assert ember.autograd.functional.vjp(lambda a: a * 3, ember.tensor(2.0))[1].item() == 3.0


@pytest.mark.parametrize("fn", ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"])
def test_strict_mode_errors_match_torch(fn):
    messages = []
    for T in (torch, ember):
        x, y = T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])
        f = (lambda a, b: (a * 2).sum()) if fn in ("hessian", "vhp", "hvp") else (lambda a, b: a * 2)
        args = ((x, y),)
        if fn == "vjp":
            args = ((x, y), T.ones(2))
        elif fn in ("jvp", "vhp", "hvp"):
            args = ((x, y), (T.ones(2), T.ones(2)))
        with pytest.raises(RuntimeError) as info:
            getattr(T.autograd.functional, fn)(f, *args, strict=True)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def test_jacobian_strategy_and_flag_errors_match_torch():
    for T in (torch, ember):
        f = T.autograd.functional.jacobian
        x = T.ones(2)
        with pytest.raises(AssertionError, match="Expected strategy"):
            f(lambda a: a, x, strategy="sideways")
        with pytest.raises(NotImplementedError, match="create_graph=True"):
            f(lambda a: a, x, create_graph=True, strategy="forward-mode")
        with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
            f(lambda a: a, x, strategy="forward-mode")
        with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True`"):
            f(lambda a: a * 2, x, strict=True, vectorize=True)
    ours = ember.autograd.functional.jacobian(lambda a: a.exp(), ember.ones(2), vectorize=True, strategy="forward-mode")
    theirs = torch.autograd.functional.jacobian(
        lambda a: a.exp(), torch.ones(2), vectorize=True, strategy="forward-mode"
    )
    assert_close(ours, theirs)


def test_create_graph_keeps_the_graph_to_the_callers_inputs():
    results = []
    for T in (ember, torch):
        x = T.tensor([0.5, 1.5], dtype=T.float64, requires_grad=True)
        jac = T.autograd.functional.jacobian(lambda a: a**3, x, create_graph=True)
        jac.sum().backward()
        results.append((jac, x.grad))
    _compare(*results)
