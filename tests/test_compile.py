"""ember.compile: replays equal eager ember bit for bit; guards re-record; what cannot be captured runs
eagerly with its reason (or raises with fullgraph=True); torch's API around it."""

import numpy as np
import pytest

import ember
from ember._dynamo.eval_frame import _Known, _reachable
from ember.bench import workloads

nn = ember.nn
F = nn.functional


def _state(objects):
    """Every array of the modules, optimizers and tensors reachable from `objects`, with .grad."""
    known = _Known(objects)
    out = []
    for m in known.modules:
        for p in list(m.parameters()) + [b for b in m.buffers() if b is not None]:
            out.append(p._data)
            out.append(None if p.grad is None else p.grad._data)
    for t in known.tensors:
        out.append(t._data)
        out.append(None if t.grad is None else t.grad._data)
    for opt in known.optimizers:
        for per_param in opt.state.values():
            out.extend(v._data for v in per_param.values() if isinstance(v, ember.Tensor))
    return out


def _assert_same_state(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x is None) == (y is None)
        if x is not None:
            assert x.shape == y.shape and x.dtype == y.dtype
            assert ember._backend.to_host(x).tobytes() == ember._backend.to_host(y).tobytes()


def _entries(compiled):
    return list(compiled._ember_compiled.entries.values())


def _replays(compiled):
    return sum(e.replays for e in _entries(compiled))


# --- bit for bit with eager -------------------------------------------------------------------------------
@pytest.mark.parametrize("name,scale", [("tiny", 1.0), ("mlp", 0.125), ("lenet", 0.125), ("lstm", 0.125)])
def test_workload_steps_equal_eager(name, scale, kernel_path):
    ember.manual_seed(0)
    eager = workloads.WORKLOADS[name](ember, scale)
    ember.manual_seed(0)
    step = workloads.WORKLOADS[name](ember, scale)
    compiled = ember.compile(step)
    for i in range(7):
        ember.manual_seed(i)
        eager()
        ember.manual_seed(i)
        compiled()
        _assert_same_state(_state(_reachable(eager)), _state(_reachable(step)))
    assert _replays(compiled) >= 3, _entries(compiled)[0].reasons()


def test_dcgan_step_equal_eager():
    """The DCGAN workload's two-optimizer step (BatchNorm, transposed convolutions, in-place ReLUs, Adam)."""
    ember.manual_seed(0)
    eager = workloads.dcgan(ember, batch=2)
    ember.manual_seed(0)
    step = workloads.dcgan(ember, batch=2)
    compiled = ember.compile(step)
    for _ in range(6):
        eager()
        compiled()
        _assert_same_state(_state(_reachable(eager)), _state(_reachable(step)))
    assert _replays(compiled) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(workloads.WORKLOADS))
def test_full_size_workloads_equal_eager(name, kernel_path):
    """The benchmark's workloads at the size bench/run.py times them."""
    ember.manual_seed(0)
    eager = workloads.WORKLOADS[name](ember, 1.0)
    ember.manual_seed(0)
    step = workloads.WORKLOADS[name](ember, 1.0)
    compiled = ember.compile(step)
    for i in range(6):
        ember.manual_seed(i)
        eager()
        ember.manual_seed(i)
        compiled()
        _assert_same_state(_state(_reachable(eager)), _state(_reachable(step)))
    assert _replays(compiled) >= 2, _entries(compiled)[0].reasons()


def _classifier_step(model, opt, x, y, loss_fn=F.cross_entropy):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def _twins(make):
    ember.manual_seed(0)
    a = make()
    ember.manual_seed(0)
    b = make()
    return a, b


def test_lenet_example_step_with_returned_loss():
    from ember.examples.lenet_cifar10 import make_net

    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((4, 3, 32, 32)).astype(np.float32))
    y = ember.tensor(rng.integers(0, 10, 4))
    (ne, ne_opt), (nc, nc_opt) = _twins(
        lambda: (lambda n: (n, ember.optim.SGD(n.parameters(), lr=0.01, momentum=0.9)))(make_net()())
    )
    eager, compiled = _classifier_step(ne, ne_opt, x, y), ember.compile(_classifier_step(nc, nc_opt, x, y))
    for _ in range(6):
        le, lc = eager(), compiled()
        assert le.item() == lc.item()  # .item() outside the compiled function is fine
        _assert_same_state(_state([ne, ne_opt]), _state([nc, nc_opt]))
    assert _replays(compiled) >= 2
    assert lc.requires_grad and type(lc.grad_fn).__name__ == "CompiledFunctionBackward"
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        lc.backward()


def test_compiled_module_trains_with_backward_outside():
    """torch.compile(model) in a training loop: the loss and backward run after the compiled call."""
    from ember.examples.mlp import build_model

    (me, oe), (mc, oc) = _twins(
        lambda: (lambda m: (m, ember.optim.SGD(m.parameters(), lr=0.1)))(build_model(ember, 12, 16, 3))
    )
    cm = ember.compile(mc)
    rng = np.random.default_rng(1)
    for _ in range(7):
        x = ember.tensor(rng.standard_normal((5, 12)).astype(np.float32))
        y = ember.tensor(rng.integers(0, 3, 5))
        for m, o in ((me, oe), (cm, oc)):
            o.zero_grad()
            out = m(x)
            F.cross_entropy(out, y).backward()
            o.step()
        _assert_same_state(_state([me]), _state([mc]))
    assert type(out.grad_fn).__name__ == "CompiledFunctionBackward"
    assert _replays(cm) >= 3


def test_lstm_example_with_adam_and_compiled_model():
    from ember.examples.lstm import make_model

    (me, oe), (mc, oc) = _twins(
        lambda: (lambda m: (m, ember.optim.Adam(m.parameters(), lr=0.01)))(make_model(ember)(8))
    )
    cm = ember.compile(mc)
    rng = np.random.default_rng(2)
    x = ember.tensor(rng.standard_normal((4, 6, 1)).astype(np.float32))
    y = ember.tensor(rng.standard_normal((4, 1)).astype(np.float32))
    for _ in range(7):
        for m, o in ((me, oe), (cm, oc)):
            loss = F.mse_loss(m(x), y)
            o.zero_grad()
            loss.backward()
            o.step()
        _assert_same_state(_state([me, oe]), _state([mc, oc]))
    assert _replays(cm) >= 3


def test_dcgan_example_models_compiled_separately():
    """The DCGAN example's loop with both networks compiled (D called on real, fake.detach() and fake)."""
    from ember.examples.dcgan import make_models

    def make():
        G, D = (cls(*a) for cls, a in zip(make_models(ember), ((8, 4, 1), (4, 1))))
        return (
            G,
            D,
            ember.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999)),
            ember.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999)),
        )

    (Ge, De, oge, ode), (Gc, Dc, ogc, odc) = _twins(make)
    cG, cD = ember.compile(Gc), ember.compile(Dc)
    crit = nn.BCEWithLogitsLoss()
    real = ember.tensor(np.random.default_rng(3).uniform(-1, 1, (2, 1, 32, 32)).astype(np.float32))
    ones, zeros = ember.ones(2), ember.zeros(2)
    for i in range(6):
        for G, D, og, od in ((Ge, De, oge, ode), (cG, cD, ogc, odc)):
            ember.manual_seed(i)
            D.zero_grad()
            crit(D(real), ones).backward()
            fake = G(ember.randn(2, 8, 1, 1))
            crit(D(fake.detach()), zeros).backward()
            od.step()
            G.zero_grad()
            crit(D(fake), ones).backward()
            og.step()
        _assert_same_state(_state([Ge, De, oge, ode]), _state([Gc, Dc, ogc, odc]))
    assert _replays(cD) >= 1 and _replays(cG) >= 1


def test_strict_device_replay_equals_eager(device):
    def make():
        with ember.device(device):
            m = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))
        return m, ember.optim.Adam(m.parameters(), lr=0.01)

    (me, oe), (mc, oc) = _twins(make)
    x = ember.randn(4, 6, device=device)
    y = ember.tensor([0, 2, 1, 1], device=device)
    eager, compiled = _classifier_step(me, oe, x, y), ember.compile(_classifier_step(mc, oc, x, y))
    for i in range(6):
        ember.manual_seed(i)
        le = eager()
        ember.manual_seed(i)
        lc = compiled()
        assert lc.device == le.device and le.item() == lc.item()
        _assert_same_state(_state([me, oe]), _state([mc, oc]))
    assert _replays(compiled) >= 2


# --- guards ----------------------------------------------------------------------------------------------
def test_new_shape_dtype_and_requires_grad_record_again():
    calls = []

    def f(x):
        calls.append(1)
        return (x * 2 + 1).sum()

    c = ember.compile(f)
    x = ember.ones(3)
    for _ in range(5):
        assert c(x).item() == 9.0
    assert len(calls) == 3 and len(_entries(c)) == 1  # two recordings, one verified replay, replays
    for other in (ember.ones(4), ember.ones(3, dtype=ember.float64), ember.ones(3, requires_grad=True)):
        for _ in range(4):
            assert c(other).item() == float(3 * other.numel())
    assert len(_entries(c)) == 4


def test_python_scalar_argument_is_a_guard():
    c = ember.compile(lambda x, k: x * k)
    x = ember.arange(3.0)
    for k in (2, 2, 2, 2, 3, 3, 3, 3, 2):
        assert c(x, k).tolist() == [0.0, k, 2.0 * k]
    assert len(_entries(c)) == 2 and _replays(c) >= 2


def test_training_flag_and_parameters_are_guards():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    c = ember.compile(model)
    x = ember.ones(2, 3)
    model.eval()
    with ember.no_grad():
        first = [c(x) for _ in range(4)]
    assert all(ember.equal(first[0], r) for r in first)  # eval: no dropout, replayed
    model.train()
    with ember.no_grad():
        ember.manual_seed(5)
        eager = [model(x) for _ in range(4)]
        ember.manual_seed(5)
        replayed = [c(x) for _ in range(4)]
    for a, b in zip(eager, replayed):
        assert ember.equal(a, b)  # train: dropout's draws replayed from the same stream
    assert len(_entries(c)) == 2
    model[0].weight = nn.Parameter(ember.zeros(3, 3))  # a new parameter: a new guard set
    model.eval()
    with ember.no_grad():
        out = [c(x) for _ in range(4)]
    assert ember.equal(out[-1], model(x)) and len(_entries(c)) == 3


def test_replaced_memory_records_again():
    w = ember.ones(3)
    c = ember.compile(lambda x: x * w)
    x = ember.ones(3)
    for _ in range(4):
        c(x)
    w.data = ember.full((3,), 2.0)
    assert c(x).tolist() == [2.0, 2.0, 2.0]


def test_learning_rate_changed_by_a_scheduler_is_honoured():
    def make():
        m = nn.Linear(4, 2)
        opt = ember.optim.SGD(m.parameters(), lr=0.5)
        return m, opt, ember.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    (me, oe, se), (mc, oc, sc) = _twins(make)
    x, y = ember.ones(3, 4), ember.zeros(3, 2)

    def stepper(m, o, s, inside):
        def step():
            o.zero_grad()
            F.mse_loss(m(x), y).backward()
            o.step()
            if inside:
                s.step()

        return step

    for inside in (True, False):
        eager, compiled = stepper(me, oe, se, inside), ember.compile(stepper(mc, oc, sc, inside))
        for _ in range(8):
            eager()
            compiled()
            if not inside:
                se.step()
                sc.step()
            assert oe.param_groups[0]["lr"] == oc.param_groups[0]["lr"]
            _assert_same_state(_state([me, oe]), _state([mc, oc]))
        assert _replays(compiled) >= 3


def test_cache_size_limit_runs_eagerly_with_a_warning(monkeypatch):
    monkeypatch.setattr(ember._dynamo.config, "cache_size_limit", 2)
    c = ember.compile(lambda x: x + 1)
    c(ember.ones(1))
    c(ember.ones(2))
    with pytest.warns(UserWarning, match="recompile limit"):
        assert c(ember.ones(3)).tolist() == [2.0, 2.0, 2.0]
    assert len(_entries(c)) == 2
    c2 = ember.compile(lambda x: x + 1, recompile_limit=1)
    c2(ember.ones(1))
    with pytest.warns(UserWarning, match="recompile limit"):
        c2(ember.ones(2))


# --- what cannot be captured ---------------------------------------------------------------------------------
LEAKS = {
    "item": (lambda x: x * x.sum().item(), "item"),
    "tolist": (lambda x: x * len(x.tolist()), "tolist"),
    "numpy": (lambda x: x * float(x.detach().numpy().sum()), "numpy"),
    "if": (lambda x: x + 1 if x.sum() > 0 else x - 1, "data-dependent Python control flow"),
    "float": (lambda x: x * float(x.max()), "float"),
    "print": (lambda x: (print(x), x * 2)[1], "printing"),
    "asarray": (lambda x: x * np.asarray(x).sum(), "NumPy array"),
}


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_value_read_into_python_runs_eagerly_with_reason(name, capsys):
    fn, words = LEAKS[name]
    c = ember.compile(fn)
    for i in range(4):
        x = ember.arange(3.0) + i
        assert ember.equal(c(x), fn(x))
    assert _replays(c) == 0
    (reason,) = c.explain()
    assert words in reason.reason and "test_compile.py" in reason.user_stack[0]
    with pytest.raises(ember._dynamo.exc.Unsupported, match=words):
        ember.compile(fn, fullgraph=True)(ember.arange(3.0))


def test_explain_reports_ops_or_breaks():
    def f(x):
        y = x * 2
        if y.sum() > 0:
            y = y + 1
        return y.relu()

    out = ember._dynamo.explain(f)(ember.ones(3))
    assert out.graph_count == 0 and out.graph_break_count == 1
    assert "control flow" in out.break_reasons[0].reason and "Graph Break Count: 1" in str(out)
    out = ember._dynamo.explain(lambda x: (x * 2).relu())(ember.ones(3))
    assert (out.graph_count, out.graph_break_count, out.op_count) == (1, 0, 2)
    assert out.ops_per_graph == [["Mul", "Relu"]]


def test_hooks_custom_functions_and_double_backward_run_eagerly():
    model = nn.Linear(2, 2)
    handle = model.register_forward_hook(lambda m, i, o: None)
    c = ember.compile(model)
    for _ in range(3):
        c(ember.ones(1, 2))
    assert "hooks" in c.explain()[0].reason
    handle.remove()

    x = ember.ones(3, requires_grad=True)

    def tensor_hook(v):
        y = v * 2
        y.register_hook(lambda g: g * 3)
        y.sum().backward()

    c = ember.compile(tensor_hook)
    for _ in range(3):
        x.grad = None
        c(x)
    assert x.grad.tolist() == [6.0, 6.0, 6.0] and "hook" in c.explain()[0].reason

    class Double(ember.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            return v * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    c = ember.compile(lambda v: Double.apply(v).sum())
    for _ in range(3):
        c(x)
    assert "autograd.Function" in c.explain()[0].reason

    def double_backward(v):
        (g,) = ember.autograd.grad((v**3).sum(), v, create_graph=True)
        return g.sum()

    c = ember.compile(double_backward)
    for _ in range(3):
        assert c(x).item() == 9.0
    assert "create_graph" in c.explain()[0].reason


def test_in_place_write_to_an_input_is_replayed():
    def f(x):
        x.mul_(2)
        return x + 1

    c = ember.compile(f)
    for i in range(5):
        x = ember.full((3,), float(i))
        out = c(x)
        assert x.tolist() == [2.0 * i] * 3 and out.tolist() == [2.0 * i + 1] * 3 and x._version == 1
    assert _replays(c) >= 2


def test_rebinding_python_state_is_not_replayed():
    count = 0

    def f(x):
        nonlocal count
        count += 1
        return x + count

    c = ember.compile(f)
    for i in range(1, 6):
        assert c(ember.zeros(1)).item() == float(i)
    assert _replays(c) == 0 and "Python variable" in c.explain()[-1].reason


def test_module_state_rebound_by_each_call_runs_eagerly_with_reason():
    """d2l's hand-written batch norm assigns new moving statistics to its buffers in forward: each call has
    new module state, so after a few calls every call runs eagerly (equal to eager), and explain() says why."""
    from ember.examples.batchnorm_from_scratch import lenet

    def make():
        n = lenet(ember, True)
        return n, ember.optim.SGD(n.parameters(), lr=1.0)

    (ne, oe), (nc, oc) = _twins(make)
    rng = np.random.default_rng(4)
    x = ember.tensor(rng.standard_normal((4, 1, 28, 28)).astype(np.float32))
    y = ember.tensor(rng.integers(0, 10, 4))
    eager, compiled = _classifier_step(ne, oe, x, y), ember.compile(_classifier_step(nc, oc, x, y))
    for _ in range(5):
        assert eager().item() == compiled().item()
        _assert_same_state(_state([ne, oe]), _state([nc, oc]))
    (reason,) = compiled.explain()
    assert "assigns a parameter or buffer" in reason.reason
    assert _entries(compiled) == []
    with pytest.raises(ember._dynamo.exc.Unsupported, match="assigns a parameter or buffer"):
        strict = ember.compile(_classifier_step(nc, oc, x, y), fullgraph=True)
        for _ in range(3):
            strict()


def test_lazy_module_set_up_by_the_first_call_is_replayed_after():
    m = nn.LazyLinear(3)
    c = ember.compile(m)
    x = ember.ones(2, 4)
    with ember.no_grad():
        for _ in range(6):
            out = c(x)
    assert ember.equal(out, m(x)) and _replays(c) >= 2


# --- backward after the call -------------------------------------------------------------------------------
def test_backward_after_the_call_reaches_parameters_and_input_history():
    lin = nn.Linear(3, 2)
    c = ember.compile(lin)
    ref = nn.Linear(3, 2)
    ref.load_state_dict(lin.state_dict())
    for i in range(6):
        grads = []
        for m in (c, ref):
            w = ember.full((4, 3), float(i + 1), requires_grad=True)
            m.zero_grad()
            out = m(w * 2)  # an input with history from before the call
            out.sum().backward(retain_graph=True)
            out.square().sum().backward()
            (gw,) = ember.autograd.grad(m(w * 3).sum(), w)
            grads.append((m.weight.grad if m is ref else lin.weight.grad, w.grad, gw))
        for a, b in zip(*grads):
            assert ember.equal(a, b)
    assert _replays(c) >= 2


# --- the API -------------------------------------------------------------------------------------------
def test_decorator_forms_and_module_wrapper():
    @ember.compile
    def f(x):
        return x * 2

    @ember.compile(mode="reduce-overhead", fullgraph=True)
    def g(x):
        return x + 1

    for _ in range(4):
        assert f(ember.ones(2)).tolist() == [2.0, 2.0] and g(ember.ones(2)).tolist() == [2.0, 2.0]
    assert f.__name__ == "f" and f._torchdynamo_orig_callable.__name__ == "f"

    model = nn.Linear(2, 3)
    c = ember.compile(model, mode="max-autotune")
    assert isinstance(c, nn.Module) and type(c).__name__ == "OptimizedModule" and c._orig_mod is model
    assert list(c.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    assert [p for p in c.parameters()] == [model.weight, model.bias]
    assert c.in_features == 2
    c.eval()
    assert not model.training


def test_arguments_as_torch():
    f = lambda x: x  # noqa: E731
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
        ember.compile(f, mode="fast")
    with pytest.raises(RuntimeError, match="Either mode or options"):
        ember.compile(f, mode="default", options={})
    with pytest.raises(ember._dynamo.exc.InvalidBackend, match="Invalid backend: 'nope'"):
        ember.compile(f, backend="nope")

    def my_backend(gm, inputs):
        return gm.forward

    with pytest.raises(NotImplementedError, match="my_backend"):
        ember.compile(f, backend=my_backend)
    with pytest.raises(NotImplementedError, match="Inductor"):
        ember.compile(f, options={"triton.cudagraphs": True})
    with pytest.raises(AssertionError, match="A callable function is expected"):
        ember.compile(1)
    calls = []
    eager = ember.compile(lambda x: calls.append(1) or x, backend="eager")
    disabled = ember.compile(lambda x: calls.append(1) or x, disable=True)
    for _ in range(4):
        eager(ember.ones(1))
        disabled(ember.ones(1))
    assert len(calls) == 8
    assert ember.compiler.list_backends() == ["cudagraphs", "inductor"]
    assert not ember.compiler.is_compiling()
    seen = []
    c = ember.compile(lambda x: seen.append(ember.compiler.is_compiling()) or x * 1)
    c(ember.ones(1))
    assert seen == [True]


def test_reset_forgets_recordings():
    c = ember.compile(lambda x: x * 3)
    for _ in range(4):
        c(ember.ones(2))
    assert _replays(c) == 1
    ember._dynamo.reset()
    assert not _entries(c)
    ember.compiler.reset()
    assert c(ember.ones(2)).tolist() == [3.0, 3.0]


def test_disable_is_called_again_by_the_replay():
    calls = []

    @ember.compiler.disable
    def noisy(x):
        calls.append(1)
        return x * 2

    c = ember.compile(lambda x: noisy(x) + 1)
    for _ in range(5):
        assert c(ember.ones(2)).tolist() == [3.0, 3.0]
    assert len(calls) == 6 and _replays(c) == 2  # one extra call: the verified replay runs it too


def test_no_grad_and_nested_compiled_calls():
    inner = ember.compile(lambda x: x.exp())
    outer = ember.compile(lambda x: inner(x) * 2)
    x = ember.linspace(-1, 1, 5)
    with ember.no_grad():
        for _ in range(4):
            assert ember.equal(outer(x), x.exp() * 2)
    assert _replays(outer) >= 1 and not _entries(inner)  # the outer recording took the inner call's ops
