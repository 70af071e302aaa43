"""The rest of torch.autograd's surface against torch: every argument of backward/grad does what torch's
does (is_grads_batched, dict and GradientEdge inputs, materialize_grads, grad_variables, only_inputs),
grad modes decorate generators, torch-2 style Functions (setup_context), mark_dirty, once_differentiable,
saved_tensors_hooks, and torch.utils.checkpoint both ways."""

import inspect
import warnings

import numpy as np
import pytest

import ember
from oracle import assert_close, torch


def _both(program):
    out = []
    for T in (torch, ember):
        try:
            out.append(("ok", program(T)))
        except (RuntimeError, TypeError, ValueError, NotImplementedError) as e:
            out.append((type(e).__name__, str(e)))
    (tk, t), (ek, e) = out
    assert ek == tk, (e, t)
    if tk != "ok":
        assert e.startswith(t.split(" (")[0][:80]), (e, t)
        return None
    for a, b in zip(_flat(e), _flat(t)):
        if isinstance(b, torch.Tensor):
            assert_close(a, b)
        else:
            assert a == b, (a, b)
    return e


def _flat(x):
    if isinstance(x, dict):
        return [k for k in x] + _flat(list(x.values()))
    if isinstance(x, (tuple, list)):
        return [y for item in x for y in _flat(item)]
    return [x]


# --- autograd.grad / backward arguments --------------------------------------------------------


def test_signatures_match_torch():
    for name in ("backward", "grad"):
        ours = list(inspect.signature(getattr(ember.autograd, name)).parameters)
        theirs = list(inspect.signature(getattr(torch.autograd, name)).parameters)
        assert ours == theirs
    for fn in ("vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"):
        assert str(inspect.signature(getattr(ember.autograd.functional, fn))) == str(
            inspect.signature(getattr(torch.autograd.functional, fn))
        )
    import ember.utils.checkpoint as ours
    import torch.utils.checkpoint as theirs

    for fn in ("checkpoint", "checkpoint_sequential"):
        assert list(inspect.signature(getattr(ours, fn)).parameters) == list(
            inspect.signature(getattr(theirs, fn)).parameters
        )


def test_is_grads_batched_gives_one_gradient_per_batch_entry():
    def program(T, create_graph=False):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x**2
        (g,) = T.autograd.grad(y, x, T.eye(3), is_grads_batched=True, create_graph=create_graph)
        return g, g.requires_grad

    _both(program)
    _both(lambda T: program(T, True))

    def mismatched(T):
        x = T.ones(3, requires_grad=True)
        return T.autograd.grad(x * 2, x, T.ones(3, 2), is_grads_batched=True)

    _both(mismatched)


def test_dict_inputs_return_a_dict_and_empty_inputs_raise():
    def program(T):
        a, b = T.ones(2, requires_grad=True), T.full((2,), 3.0, requires_grad=True)
        return T.autograd.grad((a * b).sum(), {"a": a, "b": b})

    result = _both(program)
    assert list(result) == ["a", "b"]
    _both(lambda T: T.autograd.grad(T.ones(2, requires_grad=True).sum(), []))
    _both(lambda T: (lambda a: T.autograd.grad(a.sum(), a, only_inputs=False))(T.ones(2, requires_grad=True)))


def test_gradient_edges_as_inputs_and_outputs():
    def program(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        y = (h**2).sum()
        edge = T.autograd.graph.get_gradient_edge(h)
        (gh,) = T.autograd.grad(y, edge, retain_graph=True)
        (gx,) = T.autograd.grad(h, x, T.ones(2))
        return gh, gx, edge.output_nr

    _both(program)
    _both(lambda T: T.autograd.graph.get_gradient_edge(T.ones(2)))


def test_materialize_grads_and_allow_unused():
    def program(T, **kw):
        a, b = T.ones(2, requires_grad=True), T.ones(2, requires_grad=True)
        return T.autograd.grad((a * 2).sum(), (a, b), **kw)

    _both(lambda T: program(T, materialize_grads=True))
    _both(lambda T: program(T, materialize_grads=True, allow_unused=False))
    _both(lambda T: program(T, allow_unused=True))
    _both(lambda T: program(T))


def test_grad_variables_is_the_deprecated_name_of_grad_tensors():
    for T in (torch, ember):
        x = T.ones(2, requires_grad=True)
        with pytest.warns(FutureWarning, match="grad_variables"):
            T.autograd.backward(x * 2, grad_variables=T.full((2,), 3.0))
        assert x.grad.tolist() == [6.0, 6.0]
        with pytest.raises(RuntimeError, match="both passed"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            T.autograd.backward(x * 2, grad_tensors=T.ones(2), grad_variables=T.ones(2))


def test_backward_inputs_accumulates_into_non_leaf_inputs_too():
    def program(T):
        x = T.ones(2, requires_grad=True)
        y = x * 2
        (y * 3).sum().backward(inputs=[y])
        return y.grad, x.grad is None, y.retains_grad

    _both(program)


# --- grad modes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode", ["no_grad()", "no_grad", "enable_grad()", "set_grad_enabled(False)", "inference_mode()", "inference_mode"]
)
def test_grad_mode_decorates_a_generator_function_as_torch(mode):
    def program(T):
        x = T.ones(2, requires_grad=True)
        decorator = eval("T." + mode, {"T": T})

        @decorator
        def steps():
            received = yield (x * 2).requires_grad, T.is_grad_enabled()
            yield (x * received).requires_grad, T.is_grad_enabled()

        gen = steps()
        first = next(gen)
        outside = ((x * 2).requires_grad, T.is_grad_enabled())
        second = gen.send(3)
        with T.no_grad():
            gen.close()
        return first + outside + second + (T.is_grad_enabled(),)

    _both(program)


def test_grad_mode_decorating_a_class_is_deprecated_and_set_grad_enabled_decorates_lazily():
    for T in (torch, ember):

        class Made:
            def __init__(self):
                self.grad_enabled = T.is_grad_enabled()

        with pytest.warns(FutureWarning, match="Decorating classes is deprecated"):
            make = T.no_grad()(Made)
        assert make().grad_enabled is False and T.is_grad_enabled()

        @T.set_grad_enabled(False)
        def f(t):
            return (t * 2).requires_grad

        assert T.is_grad_enabled()
        assert f(T.ones(1, requires_grad=True)) is False
        assert T.is_grad_enabled()


# --- custom Functions -------------------------------------------------------------------------


def _functions(T):
    class AddOne(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Scale(T.autograd.Function):  # torch 2 style
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.k + x, None

    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        @T.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return AddOne, Scale, Square


def test_mark_dirty_rebases_the_input_as_an_in_place_op():
    def program(T):
        AddOne, _, _ = _functions(T)
        x = T.ones(3, requires_grad=True)
        b = x * 1
        out = AddOne.apply(b)
        (out * 2).sum().backward()
        c = x * 1
        v = c[:2]
        AddOne.apply(v)
        c.sum().backward()
        return out is b, b.grad_fn.name(), b._version, x.grad, c.grad_fn.name(), v.grad_fn.name(), c

    _both(program)
    _both(lambda T: _functions(T)[0].apply(T.ones(3, requires_grad=True)))


def test_setup_context_style_function():
    def program(T):
        _, Scale, _ = _functions(T)
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = Scale.apply(x, 3.0)
        y.sum().backward()
        return y, x.grad, y.grad_fn.name()

    _both(program)


def test_once_differentiable_refuses_a_second_derivative():
    def program(T):
        _, _, Square = _functions(T)
        x = T.tensor([1.0, 2.0], requires_grad=True)
        w = T.tensor([3.0, 4.0], requires_grad=True)
        (g,) = T.autograd.grad((Square.apply(x) * w).sum(), x, create_graph=True)
        first = (g.detach(), g.requires_grad)
        g.sum().backward()
        return first

    _both(program)

    def plain(T):
        _, _, Square = _functions(T)
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (g,) = T.autograd.grad(Square.apply(x).sum(), x)
        return g, g.requires_grad

    _both(plain)


def test_function_saving_a_non_tensor_and_dirty_tensors_not_returned():
    class SaveInt(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 1

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 1 is of type int"):
        SaveInt.apply(ember.ones(2, requires_grad=True))

    class Forgot(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.mark_dirty(x)
            return y * 1

    with pytest.raises(RuntimeError, match="Some elements marked as dirty"):
        Forgot.apply(ember.ones(2), ember.ones(2, requires_grad=True))


def test_function_keyword_arguments_are_inputs():
    class KW(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale=2.0, y=None):
            return x * scale + y

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, g

    x, y = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    KW.apply(x, y=y).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and y.grad.tolist() == [1.0, 1.0]


def test_saved_tensors_hooks_pack_and_unpack_as_torch():
    def program(T):
        x = T.ones(3, requires_grad=True)
        shapes = []

        def pack(t):
            shapes.append(tuple(t.shape))
            return t * 1

        with T.autograd.graph.saved_tensors_hooks(pack, lambda p: p * 2):
            y = (x * x).exp()
        y.sum().backward()
        return x.grad, len(shapes)

    _both(program)


# --- torch.utils.checkpoint -------------------------------------------------------------------


def _net(T, seed=0):
    T.manual_seed(seed)
    net = T.nn.Sequential(
        T.nn.Linear(4, 6), T.nn.Tanh(), T.nn.Dropout(0.3), T.nn.Linear(6, 6), T.nn.ReLU(), T.nn.Linear(6, 2)
    )
    rng = np.random.default_rng(seed)
    with T.no_grad():
        for p in net.parameters():
            p.copy_(T.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return net


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gives_the_gradients_of_the_plain_run(use_reentrant):
    from ember.utils.checkpoint import checkpoint, checkpoint_sequential

    net = _net(ember)
    x = ember.tensor(np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    ember.manual_seed(5)
    net(x).pow(2).sum().backward()
    plain = [p.grad.clone() for p in net.parameters()] + [x.grad.clone()]
    for run in (
        lambda: checkpoint(net, x, use_reentrant=use_reentrant),
        lambda: checkpoint_sequential(net, 3, x, use_reentrant=use_reentrant),
    ):
        net.zero_grad()
        x.grad = None
        ember.manual_seed(5)  # the same dropout mask: the rerun in backward must reuse it
        run().pow(2).sum().backward()
        for a, b in zip([p.grad for p in net.parameters()] + [x.grad], plain):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_checkpoint_reruns_the_function_in_backward():
    from ember.utils.checkpoint import checkpoint

    for use_reentrant in (True, False):
        calls = []
        x = ember.ones(3, requires_grad=True)

        def f(a):
            calls.append(ember.is_grad_enabled())
            return (a * 2).exp()

        y = checkpoint(f, x, use_reentrant=use_reentrant)
        y.sum().backward()
        assert len(calls) == 2 and calls[1] is True
        assert_close(x.grad, 2 * np.exp(2 * np.ones(3, np.float32)))


def test_checkpoint_arguments_and_errors_as_torch():
    def program(T, **kw):
        import importlib

        cp = importlib.import_module(T.__name__ + ".utils.checkpoint")
        x = T.ones(3, requires_grad=True)
        y = cp.checkpoint(lambda a, scale=1.0: a.sin() * scale, x, **kw)
        return y, y.requires_grad

    _both(lambda T: program(T, use_reentrant=True, scale=2.0))
    _both(lambda T: program(T, use_reentrant=False, scale=2.0))
    _both(lambda T: program(T, use_reentrant=True, debug=True))
    _both(lambda T: program(T, use_reentrant=False, determinism_check="sometimes"))

    def reentrant_with_grad(T):
        import importlib

        cp = importlib.import_module(T.__name__ + ".utils.checkpoint")
        x = T.ones(3, requires_grad=True)
        return T.autograd.grad(cp.checkpoint(lambda a: (a * 2).sin(), x, use_reentrant=True).sum(), x)

    _both(reentrant_with_grad)
    for T in (torch, ember):
        import importlib

        cp = importlib.import_module(T.__name__ + ".utils.checkpoint")
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
            cp.checkpoint(lambda a: a * 2, T.ones(2, requires_grad=True))
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            assert not cp.checkpoint(lambda a: a * 2, T.ones(2), use_reentrant=True).requires_grad
