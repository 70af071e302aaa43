"""Optimizers against real torch: 20-step parameter trajectories from identical weights, state_dict
layout and round trips in both directions, param groups, validation messages and hooks."""

import warnings

import numpy as np
import pytest

import ember
import ember.optim
from oracle import EmberOn, assert_on, on_devices

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-5, 1e-6
STEPS = 20

rng = np.random.default_rng(1234)
W1 = rng.uniform(-0.5, 0.5, (8, 5)).astype(np.float32)
B1 = rng.uniform(-0.5, 0.5, (8,)).astype(np.float32)
W2 = rng.uniform(-0.5, 0.5, (3, 8)).astype(np.float32)
B2 = rng.uniform(-0.5, 0.5, (3,)).astype(np.float32)
X = rng.standard_normal((64, 5)).astype(np.float32)
Y = rng.standard_normal((64, 3)).astype(np.float32)
BATCH = 16


def make_mlp(T, weights=(W1, B1, W2, B2)):
    """A 2-layer tanh MLP built from Parameters, identical in torch and ember."""

    class MLP(T.nn.Module):
        def __init__(self):
            super().__init__()
            w1, b1, w2, b2 = (T.nn.Parameter(T.tensor(np.array(a))) for a in weights)
            self.w1, self.b1, self.w2, self.b2 = w1, b1, w2, b2

        def forward(self, x):
            hidden = (x @ self.w1.t() + self.b1).tanh()
            return hidden @ self.w2.t() + self.b2

    return MLP()


def loss_of(T, model, step=0, sign=1.0):
    """MSE on the step's mini-batch (changing batches keep gradient variances away from zero, where
    RMSprop-centered amplifies float32 rounding in torch itself); sign=-1 for `maximize`."""
    rows = [(step * BATCH + i) % len(X) for i in range(BATCH)]
    out = model(T.tensor(X[rows]))
    return sign * ((out - T.tensor(Y[rows])) ** 2).mean()


def params_np(model):
    return [p.detach().cpu().numpy().copy() for p in model.parameters()]


def train(T, model, opt, steps, first_step=0):
    """Run `steps` steps; returns the parameters after each step."""
    trajectory = []
    sign = -1.0 if opt.param_groups[0].get("maximize") else 1.0
    for step in range(first_step, first_step + steps):
        opt.zero_grad()
        loss_of(T, model, step, sign).backward()
        opt.step()
        trajectory.append(params_np(model))
    return trajectory


def assert_trajectories_close(ours, theirs):
    for step, (e_params, t_params) in enumerate(zip(ours, theirs)):
        for i, (e, t) in enumerate(zip(e_params, t_params)):
            np.testing.assert_allclose(e, t, rtol=RTOL, atol=ATOL, err_msg=f"step {step + 1}, parameter {i}")


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, maximize=True)),
    ("SGD", dict()),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.01)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.003, etas=(0.3, 1.5), step_sizes=(1e-4, 0.02), maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=1e-3, alpha=0.5, t0=5, weight_decay=0.01)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=2.0, weight_decay=0.1, maximize=True)),
]


def _id(config):
    name, kwargs = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@on_devices
@pytest.mark.parametrize("config", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_trajectory_matches_torch(config, device):
    name, kwargs = config
    t_model = make_mlp(torch)
    t_opt = getattr(torch.optim, name)(t_model.parameters(), **kwargs)
    T = ember if device == "cpu" else EmberOn(device)
    e_model = make_mlp(T)
    e_opt = getattr(ember.optim, name)(e_model.parameters(), **kwargs)
    ours = train(T, e_model, e_opt, STEPS)
    # 0-d step-like state stays a CPU tensor, as torch keeps it without capturable=True
    assert_on(
        device,
        list(e_model.parameters()) + [v for s in e_opt.state.values() for v in s.values() if v.dim()],
        "parameter or optimizer state",
    )
    assert_trajectories_close(ours, train(torch, t_model, t_opt, STEPS))


@pytest.mark.parametrize("config", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_update_rule_with_identical_gradients(config):
    """The same gradients fed to both optimizers isolate the update rule from autograd rounding."""
    name, kwargs = config
    grads = np.random.default_rng(7)
    arrays = [grads.standard_normal(s).astype(np.float32) for s in ((30, 20), (20,))]
    t_params = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    e_params = [ember.nn.Parameter(ember.tensor(a)) for a in arrays]
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    e_opt = getattr(ember.optim, name)(e_params, **kwargs)
    for step in range(30):
        scale = 1.0 if step % 3 else 1e-3  # include tiny gradients, where eps placement matters
        for t, e in zip(t_params, e_params):
            g = grads.standard_normal(tuple(t.shape)).astype(np.float32) * scale
            t.grad, e.grad = torch.tensor(g), ember.tensor(g)
        t_opt.step()
        e_opt.step()
        for i, (t, e) in enumerate(zip(t_params, e_params)):
            np.testing.assert_allclose(
                e.detach().numpy(), t.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"step {step + 1}, parameter {i}"
            )


def test_trajectory_adam_large_lerp_weight():
    """beta1 = 0.4 takes torch's other lerp formula (weight >= 0.5)."""
    t_model, e_model = make_mlp(torch), make_mlp(ember)
    t_opt = torch.optim.Adam(t_model.parameters(), lr=0.01, betas=(0.4, 0.9))
    e_opt = ember.optim.Adam(e_model.parameters(), lr=0.01, betas=(0.4, 0.9))
    assert_trajectories_close(train(ember, e_model, e_opt, STEPS), train(torch, t_model, t_opt, STEPS))


def test_per_parameter_group_options():
    def groups(model):
        return [
            {"params": [model.w1, model.b1], "lr": 0.05, "momentum": 0.9},
            {"params": [model.w2, model.b2], "nesterov": True, "momentum": 0.5, "weight_decay": 0.1},
        ]

    t_model, e_model = make_mlp(torch), make_mlp(ember)
    t_opt = torch.optim.SGD(groups(t_model), lr=0.1)
    e_opt = ember.optim.SGD(groups(e_model), lr=0.1)
    assert [{k: v for k, v in g.items() if k != "params"} for g in e_opt.param_groups] == [
        {k: v for k, v in g.items() if k != "params"} for g in t_opt.param_groups
    ]
    assert_trajectories_close(train(ember, e_model, e_opt, STEPS), train(torch, t_model, t_opt, STEPS))


def test_per_group_adam_amsgrad_only_in_one_group():
    def groups(model):
        return [{"params": [model.w1, model.b1], "amsgrad": True}, {"params": [model.w2, model.b2], "lr": 0.003}]

    t_model, e_model = make_mlp(torch), make_mlp(ember)
    t_opt, e_opt = torch.optim.Adam(groups(t_model), lr=0.01), ember.optim.Adam(groups(e_model), lr=0.01)
    assert_trajectories_close(train(ember, e_model, e_opt, STEPS), train(torch, t_model, t_opt, STEPS))
    assert set(e_opt.state[e_model.w1]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert set(e_opt.state[e_model.w2]) == {"step", "exp_avg", "exp_avg_sq"}


# --- state_dict ------------------------------------------------------------------------------------
def to_ember(obj):
    if isinstance(obj, torch.Tensor):
        return ember.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_ember(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_ember(v) for v in obj]
    return obj


def to_torch(obj):
    if isinstance(obj, ember.Tensor):
        return torch.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_torch(v) for v in obj]
    return obj


def assert_state_dicts_equal(ours, theirs):
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for index, t_state in theirs["state"].items():
        e_state = ours["state"][index]
        assert list(e_state) == list(t_state), f"state keys of parameter {index}"
        for key, t_value in t_state.items():
            e_value = e_state[key]
            assert isinstance(e_value, ember.Tensor), key
            assert e_value.shape == tuple(t_value.shape), key
            assert e_value.numpy().dtype == t_value.numpy().dtype, key
            np.testing.assert_allclose(e_value.numpy(), t_value.numpy(), rtol=RTOL, atol=ATOL, err_msg=key)


STATE_CONFIGS = [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9)),
    ("Adagrad", dict(lr=0.1)),
    ("Adadelta", dict()),
    ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01)),
    ("Rprop", dict()),
    ("ASGD", dict(lr=0.05, t0=2)),
    ("Adafactor", dict()),
]


@pytest.mark.parametrize("config", STATE_CONFIGS, ids=[c[0] for c in STATE_CONFIGS])
def test_state_dict_layout_matches_torch(config):
    name, kwargs = config
    t_model, e_model = make_mlp(torch), make_mlp(ember)
    t_opt = getattr(torch.optim, name)(t_model.parameters(), **kwargs)
    e_opt = getattr(ember.optim, name)(e_model.parameters(), **kwargs)
    assert list(e_opt.param_groups[0].keys()) == list(t_opt.param_groups[0].keys())
    assert e_opt.defaults == t_opt.defaults
    train(torch, t_model, t_opt, 3)
    train(ember, e_model, e_opt, 3)
    assert_state_dicts_equal(e_opt.state_dict(), t_opt.state_dict())


@pytest.mark.parametrize("config", STATE_CONFIGS, ids=[c[0] for c in STATE_CONFIGS])
def test_state_dict_torch_to_ember_continues_as_torch(config):
    name, kwargs = config
    t_model = make_mlp(torch)
    t_opt = getattr(torch.optim, name)(t_model.parameters(), **kwargs)
    train(torch, t_model, t_opt, 5)

    e_model = make_mlp(ember, weights=params_np(t_model))
    e_opt = getattr(ember.optim, name)(e_model.parameters(), **kwargs)
    e_opt.load_state_dict(to_ember(t_opt.state_dict()))
    assert_state_dicts_equal(e_opt.state_dict(), t_opt.state_dict())
    assert_trajectories_close(train(ember, e_model, e_opt, 10), train(torch, t_model, t_opt, 10))


@pytest.mark.parametrize("config", STATE_CONFIGS, ids=[c[0] for c in STATE_CONFIGS])
def test_state_dict_ember_to_torch_continues_as_ember(config):
    name, kwargs = config
    e_model = make_mlp(ember)
    e_opt = getattr(ember.optim, name)(e_model.parameters(), **kwargs)
    train(ember, e_model, e_opt, 5)

    t_model = make_mlp(torch, weights=params_np(e_model))
    t_opt = getattr(torch.optim, name)(t_model.parameters(), **kwargs)
    t_opt.load_state_dict(to_torch(e_opt.state_dict()))
    assert_trajectories_close(train(ember, e_model, e_opt, 10), train(torch, t_model, t_opt, 10))


def test_load_state_dict_casts_to_param_dtype_and_keeps_step():
    model = make_mlp(ember)
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    train(ember, model, opt, 2)
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].double()
    fresh = ember.optim.Adam(model.parameters(), lr=0.5)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.01
    assert fresh.param_groups[0]["params"] == list(model.parameters())
    assert fresh.state[model.w1]["exp_avg"].dtype == ember.float32
    assert fresh.state[model.w1]["step"].dtype == ember.float32
    assert float(fresh.state[model.w1]["step"]) == 2.0


def test_load_state_dict_group_mismatch_errors():
    model = make_mlp(ember)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    other = ember.optim.SGD([model.w1], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        other.load_state_dict(opt.state_dict())
    two = ember.optim.SGD([{"params": [model.w1]}, {"params": [model.w2]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two.load_state_dict(opt.state_dict())


# --- base class behaviour ----------------------------------------------------------------------------
def test_adagrad_state_exists_at_construction_like_torch():
    t_opt = torch.optim.Adagrad(make_mlp(torch).parameters(), initial_accumulator_value=0.3)
    e_opt = ember.optim.Adagrad(make_mlp(ember).parameters(), initial_accumulator_value=0.3)
    assert_state_dicts_equal(e_opt.state_dict(), t_opt.state_dict())


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("SGD", dict(lr=-1), "Invalid learning rate: -1"),
        ("SGD", dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
        ("SGD", dict(lr=0.1, weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
        ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
        ("Adam", dict(lr=-0.1), "Invalid learning rate: -0.1"),
        ("Adam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
        ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        ("Adam", dict(betas=(0, 0.999)), "betas must be either both floats or both Tensors"),
        ("RMSprop", dict(alpha=-0.5), "Invalid alpha value: -0.5"),
        ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
        ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
        ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
        ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ],
)
def test_validation_messages_match_torch(name, kwargs, message):
    with pytest.raises(ValueError) as t_err:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))], **kwargs)
    with pytest.raises(ValueError) as e_err:
        getattr(ember.optim, name)([ember.nn.Parameter(ember.zeros(2))], **kwargs)
    assert str(e_err.value) == str(t_err.value) == message


def test_param_errors():
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got torch.FloatTensor"):
        ember.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        ember.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        ember.optim.SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        ember.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        ember.optim.SGD([{"params": {p}}], lr=0.1)
    opt = ember.optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [p]})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([p, p], lr=0.1)


def test_differentiable_is_refused_not_ignored():
    with pytest.raises(NotImplementedError, match="Adam: differentiable=True"):
        ember.optim.Adam([ember.nn.Parameter(ember.zeros(2))], differentiable=True)


def test_add_param_group_fills_defaults():
    a, b = ember.nn.Parameter(ember.zeros(2)), ember.nn.Parameter(ember.zeros(3))
    opt = ember.optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["params"] == [b]
    assert opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)


def test_named_parameters_give_param_names():
    e_model, t_model = make_mlp(ember), make_mlp(torch)
    e_opt = ember.optim.SGD(e_model.named_parameters(), lr=0.1)
    t_opt = torch.optim.SGD(t_model.named_parameters(), lr=0.1)
    assert e_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]


def test_zero_grad_and_skip_params_without_grad():
    model = make_mlp(ember)
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_of(ember, model).backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    before = params_np(model)
    model.w1.grad = ember.ones(8, 5)
    opt.step()
    after = params_np(model)
    np.testing.assert_allclose(after[0], before[0] - 0.1)
    for b, a in zip(before[1:], after[1:]):
        np.testing.assert_array_equal(a, b)
    assert set(opt.state) == {model.w1}


def test_step_with_closure_returns_loss():
    model = make_mlp(ember)
    opt = ember.optim.Adam(model.parameters(), lr=0.01)

    def closure():
        opt.zero_grad()
        loss = loss_of(ember, model)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, ember.Tensor) and loss.requires_grad
    assert float(opt.step(closure)) < float(loss)


def test_step_runs_without_building_a_graph_and_bumps_versions():
    model = make_mlp(ember)
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_of(ember, model).backward()
    version = model.w1._version
    opt.step()
    assert model.w1.grad_fn is None and model.w1.is_leaf
    assert model.w1._version > version
    assert opt.state[model.w1]["momentum_buffer"].grad_fn is None


def test_step_hooks_order_and_removal():
    calls = []
    model = make_mlp(ember)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    glob = ember.optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: calls.append("global"))
    opt.step()
    assert calls == ["global", "pre", "post"]
    pre.remove()
    post.remove()
    glob.remove()
    opt.step()
    assert calls == ["global", "pre", "post"]


def test_subclass_calling_super_step_runs_hooks_once():
    calls = []

    class LoggedSGD(ember.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    opt = LoggedSGD(make_mlp(ember).parameters(), lr=0.1)
    opt.register_step_post_hook(lambda o, a, k: calls.append(1))
    opt.step()
    assert calls == [1]


def test_repr_matches_torch():
    t_opt = torch.optim.Adam(make_mlp(torch).parameters(), lr=0.01)
    e_opt = ember.optim.Adam(make_mlp(ember).parameters(), lr=0.01)
    assert repr(e_opt) == repr(t_opt)


def test_float64_parameters_update_in_float64():
    weights = [a.astype(np.float64) for a in (W1, B1, W2, B2)]
    t_model, e_model = make_mlp(torch, weights), make_mlp(ember, weights)
    t_opt = torch.optim.Adam(t_model.parameters(), lr=0.01)
    e_opt = ember.optim.Adam(e_model.parameters(), lr=0.01)
    global X, Y
    x, y = X, Y
    try:
        X, Y = X.astype(np.float64), Y.astype(np.float64)
        ours, theirs = train(ember, e_model, e_opt, 5), train(torch, t_model, t_opt, 5)
    finally:
        X, Y = x, y
    for e_params, t_params in zip(ours, theirs):
        for e, t in zip(e_params, t_params):
            assert e.dtype == np.float64
            np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-13)


def test_no_warning_in_plain_training_loop():
    model = make_mlp(ember)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(ember, model, opt, 2)


def test_state_dict_file_round_trip_through_torch_save_and_load(tmp_path):
    """ember.save -> torch.load (weights_only) -> torch continues, and torch.save -> ember.load -> ember
    continues; both match the optimizer that never left its framework."""
    e_model = make_mlp(ember)
    e_opt = ember.optim.RMSprop(e_model.parameters(), lr=0.01, centered=True, momentum=0.9)
    train(ember, e_model, e_opt, 4)
    ember.save(e_opt.state_dict(), tmp_path / "ember_opt.pt")
    t_model = make_mlp(torch, weights=params_np(e_model))
    t_opt = torch.optim.RMSprop(t_model.parameters(), lr=0.5)
    t_opt.load_state_dict(torch.load(tmp_path / "ember_opt.pt"))
    assert t_opt.param_groups[0]["lr"] == 0.01
    assert_trajectories_close(
        train(ember, e_model, e_opt, 5, first_step=4), train(torch, t_model, t_opt, 5, first_step=4)
    )

    torch.save(t_opt.state_dict(), tmp_path / "torch_opt.pt")
    e_model2 = make_mlp(ember, weights=params_np(t_model))
    e_opt2 = ember.optim.RMSprop(e_model2.parameters())
    e_opt2.load_state_dict(ember.load(tmp_path / "torch_opt.pt"))
    assert_trajectories_close(
        train(ember, e_model2, e_opt2, 5, first_step=9), train(torch, t_model, t_opt, 5, first_step=9)
    )


def test_load_state_dict_with_numeric_step_from_old_torch():
    """Checkpoints from old torch versions keep `step` as a Python number; it becomes a float32 tensor."""
    model = make_mlp(ember)
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    train(ember, model, opt, 3)
    sd = opt.state_dict()
    for p_state in sd["state"].values():
        p_state["step"] = 3
    fresh = ember.optim.Adam(model.parameters(), lr=0.01)
    fresh.load_state_dict(sd)
    step = fresh.state[model.w1]["step"]
    assert isinstance(step, ember.Tensor) and step.dtype == ember.float32 and float(step) == 3.0
    train(ember, model, fresh, 1)
    assert float(step) == 4.0
