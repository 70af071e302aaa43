"""LR schedulers against torch: every lr (and cycled momentum) over 30+ steps equals torch's to 1e-12,
including the recursive forms, plus state_dict round trips and ReduceLROnPlateau on scripted metrics."""

import math
import warnings

import pytest

import ember
import ember.optim
from ember.optim import lr_scheduler as e_sched

torch = pytest.importorskip("torch")
t_sched = torch.optim.lr_scheduler

STEPS = 35


def make_optimizer(T, kind="SGD"):
    """Two param groups with different lrs, so per-group arithmetic is exercised."""
    a, b = T.nn.Parameter(T.zeros(2)), T.nn.Parameter(T.zeros(3))
    groups = [{"params": [a]}, {"params": [b], "lr": 0.03}]
    if kind == "SGD":
        return T.optim.SGD(groups, lr=0.1, momentum=0.9)
    return T.optim.Adam(groups, lr=0.1)


def record(opt, sched, steps=STEPS, metric=None):
    """lrs (and momenta/beta1) of every group after construction and after each step."""

    def snapshot():
        lrs = [float(g["lr"]) for g in opt.param_groups]
        moms = [float(g["betas"][0] if "betas" in g else g["momentum"]) for g in opt.param_groups]
        return lrs, moms, [float(v) for v in sched.get_last_lr()]

    history = [snapshot()]
    for step in range(steps):
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric(step))
        history.append(snapshot())
    return history


def assert_histories_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for step, (e, t) in enumerate(zip(ours, theirs)):
        for what, e_vals, t_vals in zip(("lr", "momentum", "last_lr"), e, t):
            assert len(e_vals) == len(t_vals)
            for e_v, t_v in zip(e_vals, t_vals):
                assert math.isclose(e_v, t_v, rel_tol=1e-12, abs_tol=1e-15), f"step {step}: {what} {e_vals} != {t_vals}"


SCHEDULERS = {
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda epoch: 0.95**epoch),
    "LambdaLR-per-group": lambda S, o: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.5 ** (e // 4)]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda epoch: 0.9),
    "StepLR": lambda S, o: S.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=6),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=11),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.87),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "CosineAnnealingLR-long": lambda S, o: S.CosineAnnealingLR(o, T_max=30),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.002),
    "CosineAnnealingWarmRestarts-mult1": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=4),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=12, power=2.5),
    "CyclicLR-triangular": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=0.2, step_size_up=3, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.97, cycle_momentum=False
    ),
    "OneCycleLR-cos": lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS + 1),
    "OneCycleLR-linear-three-phase": lambda S, o: S.OneCycleLR(
        o, max_lr=0.3, epochs=4, steps_per_epoch=9, anneal_strategy="linear", three_phase=True, pct_start=0.25
    ),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o,
        [
            S.LinearLR(o, start_factor=0.1, total_iters=5),
            S.CosineAnnealingLR(o, T_max=12),
            S.ExponentialLR(o, gamma=0.9),
        ],
        milestones=[5, 17],
    ),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [
            S.ConstantLR(o, factor=0.5, total_iters=4),
            S.ExponentialLR(o, gamma=0.93),
            S.StepLR(o, step_size=6, gamma=0.7),
        ]
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence_matches_torch(name):
    build = SCHEDULERS[name]
    t_opt, e_opt = make_optimizer(torch), make_optimizer(ember)
    theirs = record(t_opt, build(t_sched, t_opt))
    ours = record(e_opt, build(e_sched, e_opt))
    assert_histories_equal(ours, theirs)
    assert [set(g) for g in e_opt.param_groups] == [set(g) for g in t_opt.param_groups]


@pytest.mark.parametrize("name", ["OneCycleLR-cos", "CyclicLR-triangular"])
def test_cycle_momentum_drives_adam_beta1(name):
    build = SCHEDULERS[name]
    t_opt, e_opt = make_optimizer(torch, "Adam"), make_optimizer(ember, "Adam")
    theirs = record(t_opt, build(t_sched, t_opt))
    ours = record(e_opt, build(e_sched, e_opt))
    assert_histories_equal(ours, theirs)
    assert e_opt.param_groups[0]["betas"][1] == 0.999


def test_cosine_annealing_is_torch_recursive_form_not_closed_form():
    """torch's chainable cosine drifts from the closed form in the last bits; match the drift."""
    t_opt, e_opt = make_optimizer(torch), make_optimizer(ember)
    theirs = record(t_opt, t_sched.CosineAnnealingLR(t_opt, T_max=9, eta_min=0.01), steps=60)
    ours = record(e_opt, e_sched.CosineAnnealingLR(e_opt, T_max=9, eta_min=0.01), steps=60)
    for (e_lrs, _, _), (t_lrs, _, _) in zip(ours, theirs):
        assert e_lrs == t_lrs  # bit-identical


def test_step_with_epoch_uses_closed_form():
    t_opt, e_opt = make_optimizer(torch), make_optimizer(ember)
    ts, es = t_sched.StepLR(t_opt, 3, 0.5), e_sched.StepLR(e_opt, 3, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (5, 9, 2, 12):
            ts.step(epoch)
            es.step(epoch)
            assert es.get_last_lr() == ts.get_last_lr()
    tw = t_sched.CosineAnnealingWarmRestarts(t_opt, T_0=3, T_mult=2)
    ew = e_sched.CosineAnnealingWarmRestarts(e_opt, T_0=3, T_mult=2)
    for epoch in (0.5, 4, 10.25, 22):
        tw.step(epoch)
        ew.step(epoch)
        assert ew.get_last_lr() == tw.get_last_lr()
        assert (ew.T_cur, ew.T_i) == (tw.T_cur, tw.T_i)


def test_initial_lr_and_base_lrs():
    e_opt = make_optimizer(ember)
    sched = e_sched.StepLR(e_opt, 2)
    assert [g["initial_lr"] for g in e_opt.param_groups] == [0.1, 0.03]
    assert sched.base_lrs == [0.1, 0.03] and sched.last_epoch == 0
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        e_sched.StepLR(make_optimizer(ember), 2, last_epoch=4)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        e_sched.StepLR([], 2)


def test_state_dict_round_trip_resumes_sequence():
    def run(S, T, resume_at):
        opt = make_optimizer(T)
        sched = S.OneCycleLR(opt, max_lr=0.4, total_steps=30)
        for _ in range(resume_at):
            opt.step()
            sched.step()
        state = sched.state_dict()
        opt2 = make_optimizer(T)
        opt2.load_state_dict(opt.state_dict())
        sched2 = S.OneCycleLR(opt2, max_lr=0.4, total_steps=30, last_epoch=resume_at - 1)
        sched2.load_state_dict(state)
        return record(opt2, sched2, steps=30 - resume_at)

    assert_histories_equal(run(e_sched, ember, 11), run(t_sched, torch, 11))


def test_state_dict_keys_match_torch():
    for name in ("StepLR", "CosineAnnealingLR", "SequentialLR", "CyclicLR-triangular", "LambdaLR"):
        t_opt, e_opt = make_optimizer(torch), make_optimizer(ember)
        ts, es = SCHEDULERS[name](t_sched, t_opt), SCHEDULERS[name](e_sched, e_opt)
        assert set(es.state_dict()) == set(ts.state_dict()), name
    plateau_t = t_sched.ReduceLROnPlateau(make_optimizer(torch))
    plateau_e = e_sched.ReduceLROnPlateau(make_optimizer(ember))
    assert set(plateau_e.state_dict()) == set(plateau_t.state_dict())


def test_lambda_state_dict_keeps_callable_object_state():
    class Decay:
        def __init__(self):
            self.factor = 0.5

        def __call__(self, epoch):
            return self.factor**epoch

    opt = make_optimizer(ember)
    sched = e_sched.LambdaLR(opt, Decay())
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"factor": 0.5}, {"factor": 0.5}]
    state["lr_lambdas"] = [{"factor": 0.25}, {"factor": 0.25}]
    sched.load_state_dict(state)
    assert sched.lr_lambdas[0].factor == 0.25


PLATEAU_METRICS = [
    1.0,
    0.9,
    0.95,
    0.95,
    0.96,
    0.97,
    0.899,
    0.8999,
    0.9,
    0.91,
    0.92,
    0.93,
    0.5,
    0.6,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.65,
    0.66,
    0.67,
    0.68,
    0.69,
    0.7,
    0.71,
    0.72,
    0.73,
]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(patience=2),
        dict(patience=1, factor=0.5, cooldown=2),
        dict(patience=1, threshold=0.05, threshold_mode="abs", min_lr=[0.001, 0.01]),
        dict(mode="max", patience=2, factor=0.3, threshold=0.01),
        dict(mode="max", patience=0, threshold_mode="abs", min_lr=0.004, eps=1e-3),
    ],
)
def test_reduce_lr_on_plateau_scripted_metric(kwargs):
    t_opt, e_opt = make_optimizer(torch), make_optimizer(ember)
    ts = t_sched.ReduceLROnPlateau(t_opt, **kwargs)
    es = e_sched.ReduceLROnPlateau(e_opt, **kwargs)
    metric = PLATEAU_METRICS.__getitem__
    theirs = record(t_opt, ts, steps=len(PLATEAU_METRICS), metric=metric)
    ours = record(e_opt, es, steps=len(PLATEAU_METRICS), metric=lambda i: ember.tensor(metric(i)))
    assert_histories_equal(ours, theirs)
    assert (es.best, es.num_bad_epochs, es.cooldown_counter) == (ts.best, ts.num_bad_epochs, ts.cooldown_counter)


def test_reduce_lr_on_plateau_validation():
    opt = make_optimizer(ember)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        e_sched.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        e_sched.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        e_sched.ReduceLROnPlateau(opt, min_lr=[0.1])


def test_warns_when_scheduler_steps_before_optimizer():
    opt = make_optimizer(ember)
    sched = e_sched.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = make_optimizer(ember)
    sched2 = e_sched.StepLR(opt2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt2.step()
        sched2.step()


def test_get_lr_outside_step_warns():
    sched = e_sched.ExponentialLR(make_optimizer(ember), 0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_constructor_errors_match_torch():
    cases = [
        lambda S, o: S.ConstantLR(o, factor=2.0),
        lambda S, o: S.LinearLR(o, start_factor=0),
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
        lambda S, o: S.OneCycleLR(o, max_lr=0.1),
        lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=2.0),
        lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="step"),
        lambda S, o: S.OneCycleLR(o, max_lr=[0.1], total_steps=10),
        lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2)], milestones=[3]),
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, mode="saw"),
    ]
    for build in cases:
        with pytest.raises(Exception) as t_err:
            build(t_sched, make_optimizer(torch))
        with pytest.raises(Exception) as e_err:
            build(e_sched, make_optimizer(ember))
        assert type(e_err.value) is type(t_err.value)
        assert str(e_err.value) == str(t_err.value)


def test_one_cycle_raises_past_total_steps():
    opt = make_optimizer(ember)
    sched = e_sched.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        sched.step()
