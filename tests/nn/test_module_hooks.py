"""nn.Module's hook protocol and state_dict loading against torch: full backward hooks get (and may
replace) gradients, backward pre-hooks, forward hook flags (prepend, with_kwargs, always_call),
module-global hooks, state_dict/load_state_dict hooks and extra state, load_state_dict(assign=True)
and its return value; every Module method has torch 2.13's signature."""

import inspect
import warnings

import pytest

import ember
from oracle import assert_close, torch


def _linear(T):
    lin = T.nn.Linear(3, 2)
    with T.no_grad():
        lin.weight.copy_(T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        lin.bias.zero_()
    return lin


def _values(x):
    if isinstance(x, (tuple, list)):
        return [_values(v) for v in x]
    if x is None:
        return None
    return x.detach().numpy().tolist() if hasattr(x, "detach") else x


def _same(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), (ours, theirs)
        for o, t in zip(ours, theirs):
            _same(o, t)
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), (ours, theirs)
        assert_close(ours, theirs)
    else:
        assert ours == theirs, (ours, theirs)


def _both(program):
    ours = program(ember)
    _same(ours, program(torch))
    return ours


def test_module_methods_have_torchs_signatures():
    for name, theirs in inspect.getmembers(torch.nn.Module, callable):
        if name.startswith("__") or name in (
            "_maybe_warn_non_full_backward_hook",
            "_replicate_for_data_parallel",
            "_slow_forward",
        ):
            continue  # torch internals: a warning helper, DataParallel's replication, TorchScript tracing
        ours = getattr(ember.nn.Module, name, None)
        assert ours is not None, f"Module.{name} is missing"
        assert [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()] == [
            (p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()
        ], name
    for name in (
        "register_module_forward_pre_hook",
        "register_module_forward_hook",
        "register_module_backward_hook",
        "register_module_full_backward_hook",
        "register_module_full_backward_pre_hook",
        "register_module_buffer_registration_hook",
        "register_module_module_registration_hook",
        "register_module_parameter_registration_hook",
    ):
        ours = getattr(ember.nn.modules.module, name)
        theirs = getattr(torch.nn.modules.module, name)
        assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters), name


def test_full_backward_hook_gets_gradients_not_values():
    def program(T):
        lin = _linear(T)
        seen = []
        lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
        x = T.tensor([[10.0, 20.0, 30.0]], requires_grad=True)
        out = lin(x)
        out.sum().backward()
        ((gi, go),) = seen
        return gi, go, x.grad, out.grad_fn.name()

    gi, go, grad, name = _both(program)
    assert _values(gi) == [[[5.0, 7.0, 9.0]]]


def test_full_backward_hook_return_value_replaces_grad_input():
    def program(T):
        lin = _linear(T)
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
        x = T.tensor([[1.0, 1.0, 1.0]], requires_grad=True)
        lin(x).sum().backward()
        return x.grad, lin.weight.grad

    _both(program)


def test_backward_pre_hook_replaces_grad_output_and_order_of_calls():
    def program(T):
        lin = _linear(T)
        calls = []

        def pre(m, go):
            calls.append("pre")
            return (go[0] * 2,)

        lin.register_full_backward_pre_hook(pre)
        lin.register_full_backward_hook(lambda m, gi, go: calls.append(("hook", _values(go))))
        lin.register_full_backward_pre_hook(lambda m, go: calls.append("first"), prepend=True)
        x = T.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        lin(x).sum().backward()
        return calls, x.grad, lin.weight.grad

    _both(program)


def test_full_backward_hook_when_no_input_requires_grad_and_multiple_inputs_outputs():
    def program(T):
        lin = _linear(T)
        seen = []
        lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lin(T.ones(1, 3)).sum().backward()

        class Pair(T.nn.Module):
            def forward(self, a, k, b):
                return a * b * k, b.sum(), "tag"

        pair = Pair()
        pair.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
        a, b = T.tensor([1.0, 2.0], requires_grad=True), T.tensor([3.0, 4.0])
        first, second, _ = pair(a, 2.0, b)
        (first.sum() + second).backward()
        return seen

    _both(program)


def test_mixing_legacy_and_full_backward_hooks_raises_and_legacy_hooks_see_the_last_node():
    for T in (torch, ember):
        lin = _linear(T)
        lin.register_full_backward_hook(lambda *a: None)
        with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
            lin.register_backward_hook(lambda *a: None)

    def program(T):
        seen = []
        act = T.nn.Tanh()
        act.register_backward_hook(lambda m, gi, go: seen.append((gi, go)))
        x = T.tensor([0.5, -1.0], requires_grad=True)
        act(x).sum().backward()
        return seen, x.grad

    _both(program)


def test_forward_hooks_prepend_with_kwargs_and_pre_hook_results():
    def program(T):
        lin = _linear(T)
        calls = []
        lin.register_forward_hook(lambda m, args, out: calls.append("second"))
        lin.register_forward_hook(lambda m, args, out: calls.append("first"), prepend=True)
        lin.register_forward_hook(
            lambda m, args, kwargs, out: (calls.append(sorted(kwargs)), out * 2)[1], with_kwargs=True
        )
        lin.register_forward_pre_hook(lambda m, args: args[0] + 1)  # a bare value: becomes (value,)
        lin.register_forward_pre_hook(lambda m, args, kwargs: (args, kwargs), with_kwargs=True)
        out = lin(T.ones(1, 3))
        return calls, out

    _both(program)
    for T in (torch, ember):
        lin = _linear(T)
        lin.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
        with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of"):
            lin(T.ones(1, 3))


def test_always_call_forward_hook_runs_when_forward_raises():
    def program(T):
        calls = []

        class Broken(T.nn.Module):
            def forward(self, x):
                raise ValueError("broken forward")

        m = Broken()
        m.register_forward_hook(lambda mod, args, out: calls.append(("always", out)), always_call=True)
        m.register_forward_hook(lambda mod, args, out: calls.append("normal"))
        with pytest.raises(ValueError, match="broken forward"):
            m(T.ones(1))
        return calls

    _both(program)


def test_module_global_hooks_run_for_every_module_and_are_removable():
    def program(T):
        mm = T.nn.modules.module
        calls = []
        handles = [
            mm.register_module_forward_pre_hook(lambda m, a: calls.append(("pre", type(m).__name__))),
            mm.register_module_forward_hook(lambda m, a, o: calls.append(("fwd", type(m).__name__))),
            mm.register_module_full_backward_hook(lambda m, gi, go: calls.append(("bwd", type(m).__name__))),
        ]
        try:
            net = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.ReLU())
            net(T.ones(1, 2, requires_grad=True)).sum().backward()
        finally:
            for h in handles:
                h.remove()
        net(T.ones(1, 2))
        return calls

    _both(program)


def test_registration_hooks_may_replace_what_is_registered():
    def program(T):
        mm = T.nn.modules.module
        seen = []
        handles = [
            mm.register_module_parameter_registration_hook(lambda m, n, p: seen.append(("param", n))),
            mm.register_module_buffer_registration_hook(lambda m, n, b: b * 0 + 7 if b is not None else None),
            mm.register_module_module_registration_hook(lambda m, n, c: seen.append(("module", n))),
        ]
        try:
            lin = T.nn.Linear(1, 1)
            lin.register_buffer("extra", T.ones(2))
            lin.child = T.nn.ReLU()
        finally:
            for h in handles:
                h.remove()
        return seen, lin.extra

    _both(program)


# --- state_dict and loading ---------------------------------------------------------------------


def test_load_state_dict_assign_takes_the_tensors_their_dtype_and_keeps_requires_grad():
    def program(T):
        lin = _linear(T)
        lin.bias.requires_grad_(False)
        sd = {"weight": T.ones(2, 3, dtype=T.float64), "bias": T.full((2,), 2.0, dtype=T.float64)}
        result = lin.load_state_dict(sd, assign=True)
        return (
            str(lin.weight.dtype),
            lin.weight is sd["weight"],
            type(lin.weight).__name__,
            lin.weight.requires_grad,
            lin.bias.requires_grad,
            repr(result),
            lin.weight.data_ptr() == sd["weight"].data_ptr(),
        )

    assert _both(program)[1] is False  # wrapped in a new Parameter, sharing the tensor's memory


def test_load_state_dict_returns_incompatible_keys_as_torch():
    def program(T):
        lin = _linear(T)
        sd = {"weight": T.zeros(2, 3), "stray": T.zeros(1)}
        result = lin.load_state_dict(sd, strict=False)
        return (
            repr(result),
            result.missing_keys,
            result.unexpected_keys,
            type(result).__name__,
            repr(lin.load_state_dict(lin.state_dict())),
        )

    _both(program)
    _both(lambda T: (lambda e: str(e))(pytest.raises(RuntimeError, _linear(T).load_state_dict, {}).value))


def test_state_dict_and_load_hooks_and_extra_state():
    def program(T):
        class WithState(T.nn.Linear):
            def get_extra_state(self):
                return {"step": 3}

            def set_extra_state(self, state):
                self.loaded = state

        calls = []
        m = WithState(1, 1)
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(("pre", prefix)))
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append(("post", sorted(sd))))
        m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, *rest: calls.append(("load-pre", sorted(sd))))
        m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
        sd = m.state_dict()
        del sd["bias"]
        result = m.load_state_dict(sd)
        bad = T.nn.Linear(1, 1)
        bad.register_state_dict_post_hook(lambda *a: {})
        try:
            bad.state_dict()
        except RuntimeError as e:
            calls.append(str(e))
        return calls, sorted(sd), m.loaded, repr(result)

    _both(program)


def test_set_submodule_to_empty_and_modules_remove_duplicate():
    def program(T):
        net = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.ReLU())
        net.set_submodule("1", T.nn.Tanh())
        errors = []
        for target, module, strict in (
            ("", T.nn.ReLU(), False),
            ("0", 3, False),
            ("9", T.nn.ReLU(), True),
            ("0.weight", T.nn.ReLU(), False),
        ):
            try:
                net.set_submodule(target, module, strict)
            except (ValueError, AttributeError) as e:
                errors.append((type(e).__name__, str(e)))
        shared = T.nn.ReLU()
        twice = T.nn.Sequential(shared, shared)
        empty = T.nn.Linear(2, 3).to_empty(device="cpu")
        return (
            type(net[1]).__name__,
            errors,
            len(list(twice.modules())),
            len(list(twice.modules(remove_duplicate=False))),
            tuple(empty.weight.shape),
        )

    _both(program)
