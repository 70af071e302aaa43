"""LBFGS (fixed step and strong-Wolfe line search), SparseAdam and optim.swa_utils against real torch: parameter
trajectories from identical weights over several steps, the state a step leaves, state_dict round trips."""

import numpy as np
import pytest

import ember
from test_optim import RTOL, ATOL, BATCH, X, Y, make_mlp, loss_of, params_np, to_ember, to_torch

torch = pytest.importorskip("torch")


# --- LBFGS ---------------------------------------------------------------------------------------------------

LBFGS_CONFIGS = [
    dict(),
    dict(lr=0.5, max_iter=5, history_size=3),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", max_iter=4, history_size=2, tolerance_change=1e-6),
]


def _lbfgs_run(T, model, opt, steps):
    """`steps` LBFGS steps on float64 mini-batches (a changing loss each step); the parameters after each."""
    trajectory, losses = [], []
    for step in range(steps):
        rows = [(step * BATCH + i) % len(X) for i in range(BATCH)]
        x, y = T.tensor(X[rows].astype(np.float64)), T.tensor(Y[rows].astype(np.float64))

        def closure():
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            return loss

        losses.append(float(opt.step(closure).detach()))
        trajectory.append(params_np(model))
    return trajectory, losses


def _mlp64(T, weights=None):
    return (make_mlp(T) if weights is None else make_mlp(T, weights=weights)).double()


@pytest.mark.parametrize(
    "kwargs", LBFGS_CONFIGS, ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items()) or "defaults"
)
def test_lbfgs_trajectory_matches_torch(kwargs):
    """In float64: up to 20 quasi-Newton iterations per step amplify rounding ~1000x a step on this
    non-convex loss, so float32 runs part after two steps even between torch's own CPU kernels."""
    t_model, e_model = _mlp64(torch), _mlp64(ember)
    t_opt = torch.optim.LBFGS(t_model.parameters(), **kwargs)
    e_opt = ember.optim.LBFGS(e_model.parameters(), **kwargs)
    assert e_opt.defaults == t_opt.defaults
    e_traj, e_losses = _lbfgs_run(ember, e_model, e_opt, 3)
    t_traj, t_losses = _lbfgs_run(torch, t_model, t_opt, 3)
    for step, (ours, theirs) in enumerate(zip(e_traj, t_traj)):
        for i, (e, t) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-8, err_msg=f"step {step + 1}, parameter {i}")
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-9)
    e_state, t_state = e_opt.state[e_model.w1], t_opt.state[t_model.w1]
    assert list(e_state) == list(t_state)
    for key in ("func_evals", "n_iter"):
        assert e_state[key] == t_state[key], key
    assert len(e_state["old_dirs"]) == len(t_state["old_dirs"])
    assert type(e_state["t"]).__name__ == type(t_state["t"]).__name__
    np.testing.assert_allclose(e_state["d"].numpy(), t_state["d"].numpy(), rtol=1e-6, atol=1e-8)


def test_lbfgs_float32_step_matches_torch():
    t_model, e_model = make_mlp(torch), make_mlp(ember)
    t_opt = torch.optim.LBFGS(t_model.parameters(), max_iter=8, line_search_fn="strong_wolfe")
    e_opt = ember.optim.LBFGS(e_model.parameters(), max_iter=8, line_search_fn="strong_wolfe")
    for T, model, opt in ((torch, t_model, t_opt), (ember, e_model, e_opt)):

        def closure():
            opt.zero_grad()
            loss = loss_of(T, model)
            loss.backward()
            return loss

        opt.step(closure)
    for e, t in zip(params_np(e_model), params_np(t_model)):
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-5)


def test_lbfgs_state_dict_round_trips_between_libraries():
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=5, history_size=4)
    t_model = _mlp64(torch)
    t_opt = torch.optim.LBFGS(t_model.parameters(), **kwargs)
    _lbfgs_run(torch, t_model, t_opt, 2)
    e_model = _mlp64(ember, weights=params_np(t_model))
    e_opt = ember.optim.LBFGS(e_model.parameters(), **kwargs)
    e_opt.load_state_dict(to_ember(t_opt.state_dict()))
    e_traj, _ = _lbfgs_run(ember, e_model, e_opt, 2)
    t_traj, _ = _lbfgs_run(torch, t_model, t_opt, 2)
    for ours, theirs in zip(e_traj, t_traj):
        for e, t in zip(ours, theirs):
            np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-8)
    t_back = torch.optim.LBFGS(_mlp64(torch, weights=params_np(e_model)).parameters(), **kwargs)
    t_back.load_state_dict(to_torch(e_opt.state_dict()))
    assert t_back.state_dict()["state"][0]["n_iter"] == e_opt.state_dict()["state"][0]["n_iter"]


def test_lbfgs_errors_as_torch():
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        ember.optim.LBFGS([{"params": [p]}, {"params": [ember.nn.Parameter(ember.zeros(1))]}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        ember.optim.LBFGS([p], lr=-1)
    opt = ember.optim.LBFGS([p], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = ((p - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_lbfgs_minimises_a_quadratic_to_its_optimum():
    target = ember.tensor([1.0, -2.0, 3.0])
    x = ember.nn.Parameter(ember.zeros(3))
    opt = ember.optim.LBFGS([x], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((x - target) ** 2 * ember.tensor([1.0, 10.0, 100.0])).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), target.numpy(), atol=1e-4)


# --- SparseAdam ------------------------------------------------------------------------------------------------


def test_sparse_adam_on_sparse_embedding_matches_torch():
    """torch's sparse gradient holds the looked-up rows; ember's dense one has zeros elsewhere, and SparseAdam
    updates only the nonzero rows: the same lazy update."""
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((10, 4)).astype(np.float32)
    batches = [rng.integers(0, 10, (3, 2)) for _ in range(6)]
    targets = [rng.standard_normal((3, 2, 4)).astype(np.float32) for _ in range(6)]
    results = {}
    for T in (torch, ember):
        emb = T.nn.Embedding(10, 4, sparse=True)
        with T.no_grad():
            emb.weight.copy_(T.tensor(weight))
        opt = T.optim.SparseAdam(emb.parameters(), lr=0.05, betas=(0.8, 0.9))
        for idx, tgt in zip(batches, targets):
            opt.zero_grad()
            ((emb(T.tensor(idx)) - T.tensor(tgt)) ** 2).sum().backward()
            opt.step()
        results[T] = (emb.weight.detach().numpy().copy(), opt.state_dict())
    np.testing.assert_allclose(results[ember][0], results[torch][0], rtol=RTOL, atol=ATOL)
    e_state, t_state = results[ember][1]["state"][0], results[torch][1]["state"][0]
    assert list(e_state) == list(t_state) and e_state["step"] == t_state["step"] == 6
    np.testing.assert_allclose(e_state["exp_avg_sq"].numpy(), t_state["exp_avg_sq"].numpy(), rtol=RTOL, atol=ATOL)
    assert results[ember][1]["param_groups"] == results[torch][1]["param_groups"]


def test_sparse_adam_validation_as_torch():
    p = ember.nn.Parameter(ember.zeros(2))
    for kwargs, message in (
        (dict(lr=0.0), "Invalid learning rate: 0.0"),
        (dict(eps=0.0), "Invalid epsilon value"),
        (dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    ):
        with pytest.raises(ValueError, match=message):
            ember.optim.SparseAdam([p], **kwargs)


# --- swa_utils -------------------------------------------------------------------------------------------------


def _bn_model(T):
    T.manual_seed(0)
    return T.nn.Sequential(T.nn.Linear(5, 6), T.nn.BatchNorm1d(6), T.nn.ReLU(), T.nn.Linear(6, 3))


def _copy_weights(t_model, e_model):
    e_model.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in t_model.state_dict().items()})


@pytest.mark.parametrize("averaging", ["swa", "ema_multi", "ema", "swa_multi", "buffers"])
def test_averaged_model_matches_torch(averaging):
    models = {torch: _bn_model(torch), ember: _bn_model(ember)}
    _copy_weights(models[torch], models[ember])
    averaged = {}
    for T, model in models.items():
        kwargs = {
            "swa": {},
            "ema_multi": dict(multi_avg_fn=T.optim.swa_utils.get_ema_multi_avg_fn(0.9)),
            "ema": dict(avg_fn=T.optim.swa_utils.get_ema_avg_fn(0.9)),
            "swa_multi": dict(multi_avg_fn=T.optim.swa_utils.get_swa_multi_avg_fn()),
            "buffers": dict(use_buffers=True),
        }[averaging]
        averaged[T] = T.optim.swa_utils.AveragedModel(model, **kwargs)
        opt = T.optim.SGD(model.parameters(), lr=0.1)
        for step in range(5):
            opt.zero_grad()
            x = T.tensor(np.random.default_rng(step).standard_normal((8, 5)).astype(np.float32))
            model(x).pow(2).mean().backward()
            opt.step()
            averaged[T].update_parameters(model)
    t_sd, e_sd = averaged[torch].state_dict(), averaged[ember].state_dict()
    assert list(e_sd) == list(t_sd)
    for key, value in t_sd.items():
        np.testing.assert_allclose(e_sd[key].numpy(), value.numpy(), rtol=RTOL, atol=ATOL, err_msg=key)
    x = np.random.default_rng(9).standard_normal((4, 5)).astype(np.float32)
    averaged[torch].eval(), averaged[ember].eval()
    np.testing.assert_allclose(
        averaged[ember](ember.tensor(x)).detach().numpy(),
        averaged[torch](torch.tensor(x)).detach().numpy(),
        rtol=RTOL,
        atol=ATOL,
    )


def test_update_bn_recomputes_running_stats_like_torch():
    models = {torch: _bn_model(torch), ember: _bn_model(ember)}
    _copy_weights(models[torch], models[ember])
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((6, 5)).astype(np.float32) for _ in range(4)]
    for T, model in models.items():
        model.eval()
        loader = [(T.tensor(b), T.zeros(6)) for b in batches]
        T.optim.swa_utils.update_bn(loader, model)
        assert not model.training and model[1].momentum == 0.1
    for key in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        np.testing.assert_allclose(
            models[ember].state_dict()[key].numpy(),
            models[torch].state_dict()[key].numpy(),
            rtol=RTOL,
            atol=ATOL,
            err_msg=key,
        )


@pytest.mark.parametrize("strategy,anneal_epochs", [("cos", 3), ("linear", 4), ("cos", 0)])
def test_swalr_schedule_and_state_dict_match_torch(strategy, anneal_epochs):
    lrs = {}
    for T in (torch, ember):
        p = T.nn.Parameter(T.zeros(2))
        opt = T.optim.SGD([{"params": [p]}, {"params": [T.nn.Parameter(T.zeros(1))], "lr": 0.5}], lr=0.1)
        sched = T.optim.swa_utils.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
        seen = []
        for _ in range(6):
            opt.step()
            sched.step()
            seen.append(sched.get_last_lr())
        lrs[T] = (seen, sched.state_dict())
    np.testing.assert_allclose(lrs[ember][0], lrs[torch][0], rtol=1e-12)
    assert lrs[ember][1] == lrs[torch][1]


def test_swa_utils_errors_as_torch():
    model = ember.nn.Linear(2, 2)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        ember.optim.swa_utils.AveragedModel(
            model,
            avg_fn=ember.optim.swa_utils.get_swa_avg_fn(),
            multi_avg_fn=ember.optim.swa_utils.get_swa_multi_avg_fn(),
        )
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided. Please provide a value in \[0,1\]"):
        ember.optim.swa_utils.get_ema_multi_avg_fn(1.5)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got step"):
        ember.optim.swa_utils.SWALR(opt, 0.05, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        ember.optim.swa_utils.SWALR(opt, 0.05, anneal_epochs=-1)
